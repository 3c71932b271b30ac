// What the whole-partition tests share: an engine context at a fixed instant, one policy scan
// run in-process (partitions first, then its batches purged as they are cut), and the leaves a
// partitioned table has left.
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { TEST_SECRET, type TestDb } from '../helpers.ts';
import type { Db } from '../../src/db/connect.ts';
import { rows } from '../../src/db/sql.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { runScan, type ScanResult } from '../../src/destroy/scan.ts';
import { executeBatch } from '../../src/destroy/execute.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

export const DAY_MS = 86_400_000;

export async function partitionsContext(t: TestDb, now: Date, policies: string): Promise<{ ctx: EngineContext; rules: Ruleset }> {
  const ctx = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(now), log: pino({ level: 'silent' }) };
  return { ctx, rules: (await buildRuleset(t.db, await loadPolicies(policies))).ruleset };
}

/**
 * One policy scan at `now`, whole partitions first unless `partitions` is false, `lanes` of them
 * at once (2, as a worker at the default LETHE_CONCURRENCY); names of the partitions dropped.
 */
export async function sweepOnce(ctx: EngineContext, rules: Ruleset, policyId: string, now: Date, partitions = true, lanes = 2): Promise<{ result: ScanResult; dropped: string[]; failedBatches: number }> {
  const runId = await createRun(ctx.db, { kind: 'sweep', trigger: 'expiry', actor: 'test', at: now });
  const scanId = await createScan(ctx.db, runId, rules.get(policyId)!, now);
  const dropped: string[] = [];
  let failedBatches = 0;
  const result = await runScan(ctx, rules, scanId, {
    batchSize: 100,
    onBatch: async (b) => {
      try {
        await executeBatch(ctx, rules, b);
      } catch {
        failedBatches++;
      }
    },
    ...(partitions ? { partitions: { lanes, onDropped: async (d) => { dropped.push(d.partition.table); } } } : {}),
  });
  return { result, dropped, failedBatches };
}

/** The partitions a parent has now, by name. */
export async function leafNames(db: Db, schema: string, table: string): Promise<string[]> {
  return (await rows<{ name: string }>(db, sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = (SELECT pc.oid FROM pg_class pc JOIN pg_namespace n ON n.oid = pc.relnamespace WHERE n.nspname = ${schema} AND pc.relname = ${table})
    ORDER BY 1`)).map((r) => r.name);
}
