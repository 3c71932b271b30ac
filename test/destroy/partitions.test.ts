// Whole partitions: a policy over a table range-partitioned on its clock drops each wholly due
// partition in one transaction, with a delete evidence row per record and a partition_dropped
// row, and leaves the rest to row batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { createTestDb, count, TEST_SECRET, type TestDb } from '../helpers.ts';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { rows } from '../../src/db/sql.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { runScan } from '../../src/destroy/scan.ts';
import { executeBatch } from '../../src/destroy/execute.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const KEYS = deriveKeys(TEST_SECRET);
const NOW = new Date('2026-03-15T12:00:00Z');

async function sweepOnce(ctx: EngineContext, rules: Ruleset, policyId: string, partitions = true) {
  const runId = await createRun(ctx.db, { kind: 'sweep', trigger: 'expiry', actor: 'test', at: NOW });
  const scanId = await createScan(ctx.db, runId, rules.get(policyId)!, NOW);
  const dropped: string[] = [];
  const result = await runScan(ctx, rules, scanId, {
    batchSize: 500, onBatch: async (b) => { await executeBatch(ctx, rules, b); },
    ...(partitions ? { partitions: { onDropped: async (d) => { dropped.push(d.partition.table); } } } : {}),
  });
  return { runId, result, dropped };
}

describe('whole partitions (pg_partman access logs)', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  beforeAll(async () => {
    t = await createTestDb('partitions');
    await partitionedAccessLogs(t.db, { now: NOW, days: 40, perDay: 50, customers: 30 });
    ctx = { db: t.db, keys: KEYS, clock: fixedClock(NOW), log: pino({ level: 'silent' }) };
    rules = (await buildRuleset(t.db, await loadPolicies('test/fixtures/partitions'))).ruleset;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('drops the wholly due partitions and batches the rest', async () => {
    const due = await count(t.db, 'access_logs', sql`written_at <= ${new Date(NOW.getTime() - 30 * 86_400_000)}`);
    const total = await count(t.db, 'access_logs');
    const { result, dropped } = await sweepOnce(ctx, rules, 'access-logs');
    console.log(result, dropped);
    expect(await count(t.db, 'access_logs')).toBe(total - due);
    expect(await count(t.db, 'lethe.evidence', sql`action = 'delete'`)).toBe(due);
    expect(dropped.length).toBeGreaterThan(5);
    console.log(await rows(t.db, sql`SELECT action, fields, count(*) FROM lethe.evidence GROUP BY 1, 2 ORDER BY 1`));
    expect(await verifyEvidence(t.db, KEYS)).toMatchObject({ ok: true });
  });
});
