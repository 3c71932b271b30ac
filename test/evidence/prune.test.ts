// Evidence older than three years is pruned whole batch by whole batch; what remains still
// verifies from an HMAC-chained anchor; nothing younger than three years can go, even with a
// wrong application clock, and a deletion around the prune function is detected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestDb, count, TEST_SECRET, type TestDb } from '../helpers.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { appendEvidence, type EvidenceInput } from '../../src/evidence/append.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { pruneEvidence } from '../../src/evidence/prune.ts';
import { parseDuration } from '../../src/duration.ts';
import { ConfigError } from '../../src/errors.ts';
import { describeError } from '../../src/log.ts';
import type { EngineContext } from '../../src/engine.ts';

const keys = deriveKeys(TEST_SECRET);
const YEAR = 365.25 * 86_400_000;
const P3Y = parseDuration('P3Y')!;

function records(n: number, at: Date): EvidenceInput[] {
  return Array.from({ length: n }, (_, i) => ({
    runId: randomUUID(), policyId: 'p', policyVersion: 'v', category: 'c', classification: 'C2', trigger: 'expiry', action: 'delete',
    table: 'public.t', recordRef: `r${i}`, subjectRef: `s${i}`, fields: null, partner: null, actor: 'test', occurredAt: at,
  }));
}

describe('evidence pruning', () => {
  let t: TestDb;
  const ctx = (at = new Date()): EngineContext => ({ db: t.db, keys, clock: fixedClock(at), log: silentLogger });

  beforeAll(async () => {
    t = await createTestDb('prune');
    for (const [years, n] of [[5, 3], [4, 2], [1, 4], [0, 1]] as const) {
      const at = new Date(Date.now() - years * YEAR);
      await t.db.transaction(async (tx) => { await appendEvidence(tx, keys, randomUUID(), records(n, at), at); });
    }
  });
  afterAll(async () => t.drop());

  it('refuses a retention shorter than three years', async () => {
    await expect(pruneEvidence(ctx(), parseDuration('P2Y')!, 'test')).rejects.toBeInstanceOf(ConfigError);
  });

  it('prunes the batches older than three years and still verifies the rest', async () => {
    expect(await pruneEvidence(ctx(), P3Y, 'test', true)).toMatchObject({ seals: 2, records: 5 });
    expect(await count(t.db, 'lethe.evidence')).toBe(10);
    expect(await pruneEvidence(ctx(), P3Y, 'operator:test')).toMatchObject({ seals: 2, records: 5 });
    expect(await count(t.db, 'lethe.evidence')).toBe(5);
    expect(await count(t.db, 'lethe.evidence_seals')).toBe(2);
    expect(await verifyEvidence(t.db, keys)).toEqual({ ok: true, records: 5, first_broken: null });
    expect(await pruneEvidence(ctx(), P3Y, 'test')).toMatchObject({ seals: 0, records: 0 });
  });

  it('the database refuses evidence younger than three years, whatever the application clock says', async () => {
    const future = ctx(new Date(Date.now() + 3 * YEAR));
    const refused = await pruneEvidence(future, P3Y, 'test').catch((e: unknown) => e);
    // describeError withholds a database function's own words; the driver's error keeps them.
    expect(describeError(refused)).toMatch(/^PostgreSQL error P0001/);
    expect(String((refused as { cause?: Error }).cause?.message ?? refused)).toMatch(/kept at least 3 years/);
    await expect(t.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('lethe.pruning', 'on', true)`);
      await tx.execute(sql`DELETE FROM lethe.evidence`);
    }).catch((e: unknown) => { throw new Error(describeError(e)); })).rejects.toThrow(/^PostgreSQL error 42501/);
    expect(await count(t.db, 'lethe.evidence')).toBe(5);
  });

  it('a superuser removing records or altering the anchor around the function is detected', async () => {
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`UPDATE lethe.evidence_anchors SET records_pruned = 4`);
      const r = await verifyEvidence(tx, keys);
      expect(r.ok).toBe(false);
      expect(r.first_broken!.reason).toMatch(/prune anchor 1 was altered/);
      throw new Error('rollback');
    }).catch((e: Error) => { if (e.message !== 'rollback') throw e; });
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`DELETE FROM lethe.evidence_seals WHERE seq = (SELECT min(seq) FROM lethe.evidence_seals)`);
      expect((await verifyEvidence(tx, keys)).ok).toBe(false);
      throw new Error('rollback');
    }).catch((e: Error) => { if (e.message !== 'rollback') throw e; });
    expect((await verifyEvidence(t.db, keys)).ok).toBe(true);
  });
});
