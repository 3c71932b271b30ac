// The object side of "PostgreSQL is the truth": pending deletions whose job Redis lost, whose
// worker died mid-attempt (once its lease ran out), or that a sweep left after a failed attempt
// are enqueued again on their store's queue; files kept for another record are asked about again
// once a day.
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import type { Enqueue } from '../pipeline/queues.ts';

const SWEEP_LIMIT = 5000;
/** A file kept for another record is asked about again after this long (that record may have gone outside lethe). */
export const KEPT_RECHECK_MS = 86_400_000;

/** The job id of a deletion's next attempt: the same attempt is never queued twice. */
export const deletionJobId = (deletionId: string, attempts: number): string => `${deletionId}.${attempts}`;

/** Files kept for another record a day ago or more: pending again, due at `dueAt`; returns how many. */
export async function requeueKept(ctx: EngineContext, dueAt: Date): Promise<number> {
  const moved = await rows<{ id: string }>(ctx.db, sql`UPDATE lethe.object_deletions SET status = 'pending', next_attempt_at = ${dueAt}, last_error = NULL
    WHERE status = 'kept' AND finished_at <= ${new Date(ctx.clock.now().getTime() - KEPT_RECHECK_MS)} RETURNING id::text`);
  return moved.length;
}

/** Enqueues pending deletions due for at least `graceMs`; returns how many. */
export async function enqueueDueDeletions(ctx: EngineContext, enqueue: Enqueue, graceMs: number): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - graceMs);
  await requeueKept(ctx, before);
  const due = await rows<{ id: string; store_id: string; attempts: number }>(ctx.db, sql`SELECT id::text, store_id, attempts
    FROM lethe.object_deletions WHERE status = 'pending' AND next_attempt_at <= ${before} ORDER BY next_attempt_at LIMIT ${SWEEP_LIMIT}`);
  for (const r of due) await enqueue('delete-object', { deletionId: r.id, storeId: r.store_id }, deletionJobId(r.id, r.attempts));
  return due.length;
}
