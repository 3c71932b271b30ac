// Whole partitions first, then batches for the rest. A policy scan over a table range-partitioned
// on the policy's clock drops each partition that is wholly due and holds nothing kept, in a
// transaction of its own (drop.ts), before it reads the due keys left for row batches — so the
// row path never sees a dropped partition's rows, and reads every row of a partition kept.
import type { EngineContext, Ruleset } from '../../engine.ts';
import type { Policy } from '../../policy/types.ts';
import { heldSubjects } from '../../holds/active.ts';
import { describeError } from '../../log.ts';
import { SubjectRefs } from '../subject-refs.ts';
import { partitionLayout, type RangePartition } from './catalog.ts';
import { PARTITION_LANES } from '../../db/sql.ts';
import { judgePartition, pastByBounds } from './decide.ts';
import { dropPartition, type DroppedPartition, type ScanRef } from './drop.ts';
import { checkDroppedPartition } from './post-check.ts';

export { PARTITION_DROPPED, type DroppedPartition } from './drop.ts';

/** Subject refs kept across a scan's partitions: about 40 MB at most. */
const SUBJECT_REFS_KEPT = 250_000;

export interface PartitionPassOptions {
  /** The scan's instant: which partitions are past `retain` by their bounds. */
  asOf: Date;
  /** Called after each drop committed and was checked: hand its partner requests and file deletions to their queues. */
  onDropped?: (d: DroppedPartition) => Promise<void>;
  /** Aborted: stop between partitions; what is left goes by batches, or to the next scan. */
  signal?: AbortSignal;
  /** Partitions dropped at once (LETHE_CONCURRENCY; at most PARTITION_LANES); default 1. */
  lanes?: number;
}

export interface PartitionPass {
  partitions: number;
  records: number;
}

export async function dropDuePartitions(ctx: EngineContext, rules: Ruleset, p: Policy, scan: ScanRef, opts: PartitionPassOptions): Promise<PartitionPass> {
  const pass = { partitions: 0, records: 0 };
  const layout = await partitionLayout(ctx.db, rules, p);
  if (!layout) return pass;
  const refs = new SubjectRefs(ctx.keys, SUBJECT_REFS_KEPT);
  const due = await pastByBounds(ctx.db, rules, p, layout.column, layout.partitions, opts.asOf);
  // Each lane drops one partition at a time, taking the next in bound order: while one inserts
  // its evidence, another reads and hashes, and the two meet only at DETACH.
  const lane = async (n: number) => {
    for (let part = due.shift(); part !== undefined && !opts.signal?.aborted; part = due.shift()) {
      const d = await dropOne(ctx, rules, p, scan, part, refs, n);
      if (!d) continue;
      pass.partitions++;
      pass.records += d.records;
      try {
        await checkDroppedPartition(ctx, rules, p, layout.column, { ...d, runId: scan.runId, trigger: scan.trigger });
      } catch (e) {
        // The drop committed: failing the scan would change nothing of it.
        ctx.log.error({ policy: p.id, batchId: d.batchId, error: describeError(e) }, 'post-destruction check could not run');
      }
      await opts.onDropped?.(d);
    }
  };
  const lanes = Math.max(1, Math.min(opts.lanes ?? 1, PARTITION_LANES, due.length));
  await Promise.all(Array.from({ length: lanes }, (_, n) => lane(n)));
  return pass;
}

/** One partition's drop, logged; null when it was kept, gone or could not be dropped. */
async function dropOne(
  ctx: EngineContext, rules: Ruleset, p: Policy, scan: ScanRef, part: RangePartition, refs: SubjectRefs, lane: number,
): Promise<DroppedPartition | null> {
  const name = `${part.schema}.${part.table}`;
  let result: Awaited<ReturnType<typeof dropPartition>>;
  try {
    result = await dropPartition(ctx, rules, p, scan, part, refs, lane);
  } catch (e) {
    // Nothing of it was destroyed (the transaction rolled back). What stopped the drop — a
    // table whose foreign key references its rows, a view on it, a lock not granted — is
    // met by the row path too, batch by batch, where it is reported the usual way.
    ctx.log.warn({ policy: p.id, partition: name, error: describeError(e) }, 'partition could not be dropped whole: its due rows go by batch');
    return null;
  }
  if ('kept' in result) {
    if (result.kept !== 'gone') ctx.log.info({ policy: p.id, partition: name, rows: result.rows, reason: result.kept }, 'partition kept whole: its due rows go by batch');
    return null;
  }
  const d = result.dropped;
  ctx.log.info({ policy: p.id, partition: name, records: d.records, children: d.children, ms: d.ms, batch: d.batchId }, 'partition dropped whole');
  return d;
}

export interface PartitionPlan {
  /** Partitions a sweep now would drop whole, and their rows (all of them due). */
  partitions: number;
  rows: number;
}

/** What `dropDuePartitions` would drop at `now`, judged the same way without locking; null: not partitioned for it. */
export async function planPartitions(ctx: EngineContext, rules: Ruleset, p: Policy, now: Date): Promise<PartitionPlan | null> {
  const layout = await partitionLayout(ctx.db, rules, p);
  if (!layout) return null;
  const holds = await heldSubjects(ctx.db, p.id);
  const refs = new SubjectRefs(ctx.keys);
  const plan = { partitions: 0, rows: 0 };
  for (const part of await pastByBounds(ctx.db, rules, p, layout.column, layout.partitions, now)) {
    const verdict = await judgePartition(ctx.db, rules, p, part, now, holds, refs);
    if (!verdict.whole) continue;
    plan.partitions++;
    plan.rows += verdict.rows;
  }
  return plan;
}
