// Issue #12, item 7: a scan's cursor is the last raw business key it paged past, and a subject
// scan's filter the raw id (an erased customer's, linkable to the ticket). Both are needed only
// while the scan is open: a scan that is done or failed keeps neither.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { rows } from '../../src/db/sql.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { runScan } from '../../src/destroy/scan.ts';
import { failScan } from '../../src/pipeline/scheduled.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');

describe('a closed scan keeps no raw key', () => {
  let t: TestDb;
  let rules: Ruleset;
  let lender: SmallLender;
  let ctx: EngineContext;
  const leftovers = () => rows<{ id: string; status: string }>(t.db, sql`SELECT id::text, status FROM lethe.scans
    WHERE status IN ('done', 'failed') AND (cursor IS NOT NULL OR subject IS NOT NULL)`);

  beforeAll(async () => {
    t = await createTestDb('scanclose');
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    ctx = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(NOW), log: silentLogger };
  });
  afterAll(async () => t.drop());

  it('a sweep and an erasure request leave their finished scans without cursor or subject', async () => {
    // Pages of two: every scan with due records commits a cursor on its way.
    await sweepInline(ctx, rules, 2);
    const id = await recordErasureRequest(ctx, rules, 15, { subject: lender.customers.ended, ticket: 'T-7', actor: 'operator:test' });
    await executeErasure(ctx, rules, id, { batchSize: 2 });
    const [{ pages }] = await rows<{ pages: number }>(t.db, sql`SELECT max(pages)::int AS pages FROM lethe.scans`) as [{ pages: number }];
    expect(pages).toBeGreaterThan(1);
    expect(await leftovers()).toEqual([]);
  });

  it('a scan that fails midway keeps its reason, not its cursor nor its subject', async () => {
    const p = rules.get('rejected-loan-applications')!;
    const [c] = await rows<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at) VALUES ('周强', '杭州', ${NOW}) RETURNING id::text`);
    const subject = c!.id;
    for (let i = 0; i < 3; i++) {
      await t.db.execute(sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
        VALUES (${subject}, 'rejected', 1, ${NOW}, ${new Date(NOW.getTime() - (60 + i) * 86_400_000)})`);
    }
    const runId = await createRun(t.db, { kind: 'consent', trigger: 'expiry', actor: 'operator:test', at: NOW });
    const scanId = await createScan(t.db, runId, p, NOW, { mode: 'subject', subject });
    // One batch of one, then the scan pauses (as when its worker is told to close).
    const stop = new AbortController();
    const paused = await runScan(ctx, rules, scanId, { batchSize: 1, signal: stop.signal, onBatch: async () => stop.abort() });
    expect(paused).toMatchObject({ status: 'paused', batches: 1 });
    const [open] = await rows<{ cursor: unknown; subject: string | null }>(t.db, sql`SELECT cursor, subject FROM lethe.scans WHERE id = ${scanId}::uuid`);
    expect(open!.cursor).not.toBeNull();
    expect(open!.subject).toBe(subject);
    await failScan(ctx, scanId, 'PostgreSQL error 57014: canceling statement due to statement timeout');
    const [closed] = await rows<{ status: string; cursor: unknown; subject: string | null; error: string }>(t.db, sql`SELECT status, cursor, subject, error
      FROM lethe.scans WHERE id = ${scanId}::uuid`);
    expect(closed).toEqual({ status: 'failed', cursor: null, subject: null, error: 'PostgreSQL error 57014: canceling statement due to statement timeout' });
  });
});
