// The lanes of whole-partition drops (LOCKS.partitions): a drop holds its own lane exclusively,
// so drops in two lanes never wait for each other, while a purge batch of the same table takes
// every lane shared and so waits for a drop in any of them (it would otherwise deadlock with the
// drop on the parent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, count, type TestDb } from '../helpers.ts';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { partitionsContext, DAY_MS } from './partitions-world.ts';
import { LOCKS, PARTITION_LANES, partitionLane } from '../../src/db/sql.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { runScan } from '../../src/destroy/scan.ts';
import { executeBatch } from '../../src/destroy/execute.ts';
import { dropDuePartitions } from '../../src/destroy/partitions/index.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const CUTOFF = new Date(NOW.getTime() - 30 * DAY_MS);
const TABLE = 'public.access_logs';

/** Another session holding lane `lane` of the table, as a drop in that lane does, until `release`. */
async function holdLane(t: TestDb, lane: number): Promise<() => Promise<void>> {
  let release!: () => void;
  let taken!: () => void;
  const isTaken = new Promise<void>((r) => (taken = r));
  const tx = t.db.transaction(async (x) => {
    await x.execute(sql`SELECT pg_advisory_xact_lock(${LOCKS.partitions}, ${partitionLane(TABLE, lane)})`);
    taken();
    await new Promise<void>((r) => (release = r));
  });
  await isTaken;
  return async () => {
    release();
    await tx;
  };
}

describe('partition lanes', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  beforeAll(async () => {
    t = await createTestDb('partition_lanes');
    await partitionedAccessLogs(t.db, { now: NOW, days: 34, perDay: 10, customers: 5 });
    ({ ctx, rules } = await partitionsContext(t, NOW, 'test/fixtures/partitions'));
  });
  afterAll(async () => {
    await t?.drop();
  });

  const newScan = async () => {
    const runId = await createRun(ctx.db, { kind: 'sweep', trigger: 'expiry', actor: 'test', at: NOW });
    return { id: await createScan(ctx.db, runId, rules.get('access-logs')!, NOW), runId, trigger: 'expiry' };
  };

  it('drops in one lane while another lane is held', async () => {
    const release = await holdLane(t, PARTITION_LANES - 1);
    try {
      const pass = await dropDuePartitions(ctx, rules, rules.get('access-logs')!, await newScan(), { asOf: NOW, lanes: 1 });
      expect(pass.partitions).toBeGreaterThan(0);
    } finally {
      await release();
    }
  });

  it('makes a purge batch of the table wait for a drop in any lane', async () => {
    const scan = await newScan();
    const batches: string[] = [];
    await runScan(ctx, rules, scan.id, { batchSize: 5, onBatch: async (b) => { batches.push(b); } });
    expect(batches.length).toBeGreaterThan(0);
    const due = await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`);
    for (const lane of [0, PARTITION_LANES - 1]) {
      const release = await holdLane(t, lane);
      let finished = false;
      const purge = executeBatch(ctx, rules, batches.shift()!).then(() => (finished = true));
      try {
        await new Promise((r) => setTimeout(r, 400));
        expect(finished, `a purge ran beside a drop in lane ${lane}`).toBe(false);
      } finally {
        await release();
        await purge;
      }
    }
    expect(await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`)).toBeLessThan(due);
  });
});
