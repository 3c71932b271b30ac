import type { EngineContext } from '../engine.ts';
import { openWork } from './runs.ts';
import type { Enqueue } from './queues.ts';

/**
 * PostgreSQL is the truth, Redis only a delivery mechanism: any open scan or batch older than
 * `graceMs` is enqueued again under its own id. BullMQ ignores an id it already holds waiting
 * or active, so this only recreates jobs that were lost (Redis flushed or restarted without
 * persistence) or ended without closing their row (`requeue`, src/pipeline/queues.ts).
 */
export async function reenqueueOpenWork(ctx: EngineContext, enqueue: Enqueue, graceMs: number): Promise<number> {
  const before = new Date(Date.now() - graceMs);
  const { scans, batches } = await openWork(ctx.db, before);
  for (const scan of scans) await enqueue('scan-policy', { policyId: scan.policyId, scanId: scan.id }, scan.id);
  for (const batchId of batches) await enqueue('purge-batch', { batchId }, batchId);
  return scans.length + batches.length;
}
