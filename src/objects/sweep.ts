// The object side of "PostgreSQL is the truth": pending deletions whose job Redis lost, whose
// worker died mid-attempt (once its lease ran out), or that a sweep left after a failed attempt
// are enqueued again on their store's queue.
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import type { Enqueue } from '../pipeline/queues.ts';

const SWEEP_LIMIT = 5000;

/** The job id of a deletion's next attempt: the same attempt is never queued twice. */
export const deletionJobId = (deletionId: string, attempts: number): string => `${deletionId}.${attempts}`;

/** Enqueues pending deletions due for at least `graceMs`; returns how many. */
export async function enqueueDueDeletions(ctx: EngineContext, enqueue: Enqueue, graceMs: number): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - graceMs);
  const due = await rows<{ id: string; store_id: string; attempts: number }>(ctx.db, sql`SELECT id::text, store_id, attempts
    FROM lethe.object_deletions WHERE status = 'pending' AND next_attempt_at <= ${before} ORDER BY next_attempt_at LIMIT ${SWEEP_LIMIT}`);
  for (const r of due) await enqueue('delete-object', { deletionId: r.id, storeId: r.store_id }, deletionJobId(r.id, r.attempts));
  return due.length;
}
