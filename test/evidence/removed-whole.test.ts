// Issue #12, item 6: evidence removed whole — rows and seals, the newest included — used to
// verify as intact, while lethe.batches still said what was destroyed. Each case tampers as a
// superuser would (triggers bypassed) inside a transaction that is rolled back afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { createTestDb, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { rows } from '../../src/db/sql.ts';
import type { Tx } from '../../src/db/connect.ts';
import { verifyEvidence, type VerifyResult } from '../../src/evidence/verify.ts';
import { runCli } from '../cli/run-cli.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const keys = deriveKeys(TEST_SECRET);

let t: TestDb;
let newest: string;

beforeAll(async () => {
  t = await createTestDb('removed_whole');
  await seedSmallLender(t.db, NOW);
  const { ruleset } = await buildRuleset(t.db, await loadPolicies(POLICIES));
  // Batches of two: several batches, so "the newest" is one of many.
  await sweepInline({ db: t.db, keys, clock: fixedClock(NOW), log: silentLogger }, ruleset, 2);
  const [b] = await rows<{ id: string }>(t.db, sql`SELECT id::text FROM lethe.batches WHERE seal_hash IS NOT NULL
    ORDER BY finished_at DESC, id DESC LIMIT 1`);
  newest = b!.id;
});
afterAll(async () => t?.drop());

class Rollback extends Error {}

async function verifyAfter(...tamper: SQL[]): Promise<VerifyResult> {
  let result: VerifyResult | undefined;
  await t.db.transaction(async (tx: Tx) => {
    await tx.execute(sql`SET LOCAL session_replication_role = replica`);
    for (const s of tamper) await tx.execute(s);
    result = await verifyEvidence(tx, keys);
    throw new Rollback();
  }).catch((e: unknown) => {
    if (!(e instanceof Rollback)) throw e;
  });
  return result!;
}

describe('evidence removed whole', () => {
  it('the sweep left intact evidence, each batch row naming its seal', async () => {
    expect(await verifyEvidence(t.db, keys)).toMatchObject({ ok: true, first_broken: null });
    const [n] = await rows<{ batches: number; anchored: number }>(t.db, sql`SELECT count(*)::int AS batches,
      count(*) FILTER (WHERE seal_hash IS NOT NULL AND evidence_records > 0)::int AS anchored
      FROM lethe.batches WHERE destroyed + anonymised + children > 0`);
    expect(n!.batches).toBeGreaterThan(3);
    expect(n!.anchored).toBe(n!.batches);
  });

  it('every row and every seal deleted: broken, naming the batches', async () => {
    const r = await verifyAfter(sql`DELETE FROM lethe.evidence`, sql`DELETE FROM lethe.evidence_seals`);
    expect(r.ok).toBe(false);
    expect(r.records).toBe(0);
    expect(r.first_broken!.reason).toMatch(/^batch [0-9a-f-]{36} \(finished .*\) sealed \d+ evidence records, but its seal is gone: its evidence was removed$/);
    const [{ n }] = await rows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM lethe.batches WHERE seal_hash IS NOT NULL`) as [{ n: number }];
    expect(r.missing).toHaveLength(n);
  });

  it('the newest batch removed, its rows and its seal: broken, naming that batch', async () => {
    const r = await verifyAfter(sql`DELETE FROM lethe.evidence WHERE batch_id = ${newest}::uuid`,
      sql`DELETE FROM lethe.evidence_seals WHERE batch_id = ${newest}::uuid`);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([expect.stringContaining(`batch ${newest} `)]);
  });

  it('a batch row and its seal disagree on how many records it sealed: broken', async () => {
    const r = await verifyAfter(sql`UPDATE lethe.batches SET evidence_records = evidence_records + 1 WHERE id = ${newest}::uuid`);
    expect(r.ok).toBe(false);
    expect(r.first_broken!.reason).toContain(`the seal of batch ${newest} covers`);
  });

  it('a policy text edited in lethe.policy_versions: broken, naming the policy', async () => {
    const r = await verifyAfter(sql`UPDATE lethe.policy_versions SET source = replace(source, 'P30D', 'P3000D')
      WHERE policy_id = 'rejected-loan-applications'`);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([expect.stringContaining('the text kept for policy rejected-loan-applications version')]);
    expect(r.first_broken!.seq).toBeGreaterThan(0);
  });

  it('lethe evidence verify exits 1 and names what is missing', async () => {
    const env = { DATABASE_URL: t.url, LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`DELETE FROM lethe.evidence WHERE batch_id = ${newest}::uuid`);
      await tx.execute(sql`DELETE FROM lethe.evidence_seals WHERE batch_id = ${newest}::uuid`);
    });
    const r = await runCli(['evidence', 'verify'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`batch ${newest} `);
    expect(r.stdout).toContain('its evidence was removed');
  });
});
