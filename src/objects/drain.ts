// Foreground deletion for `sweep` and `erase`: each pending object of a run gets its attempt
// before the command returns, within each store's concurrency limit. An object whose attempt
// failed stays pending with its backoff, for `lethe worker` to retry; a job that a purge
// enqueued for the same object finds it settled or leased and does nothing.
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { describeError } from '../log.ts';
import { deliverObject, type ObjectRuntime } from './deliver.ts';

export interface DrainResult {
  deleted: number;
  /** Attempted and not deleted: pending a retry, or failed for good. */
  notDeleted: number;
  /** Not deleted because a record lethe keeps still points to the file (shared.ts). */
  kept: number;
}

/** Objects of the run that have not had an attempt settle yet. */
async function waiting(ctx: EngineContext, runId: string): Promise<{ id: string; store_id: string }[]> {
  return rows(ctx.db, sql`SELECT id::text, store_id FROM lethe.object_deletions
    WHERE run_id = ${runId}::uuid AND status = 'pending' AND last_error IS NULL ORDER BY created_at, id`);
}

export async function drainRunObjects(ctx: EngineContext, rt: ObjectRuntime, runId: string): Promise<DrainResult> {
  return attempt(ctx, rt, await waiting(ctx, runId));
}

/** One attempt for every pending object whose retry is due now, whatever run queued it (`lethe demo`). */
export async function retryDueObjects(ctx: EngineContext, rt: ObjectRuntime): Promise<DrainResult> {
  return attempt(ctx, rt, await rows(ctx.db, sql`SELECT id::text, store_id FROM lethe.object_deletions
    WHERE status = 'pending' AND next_attempt_at <= ${ctx.clock.now()} ORDER BY next_attempt_at, id`));
}

async function attempt(ctx: EngineContext, rt: ObjectRuntime, todo: { id: string; store_id: string }[]): Promise<DrainResult> {
  const result: DrainResult = { deleted: 0, notDeleted: 0, kept: 0 };
  if (todo.length === 0) return result;
  const byStore = new Map<string, string[]>();
  for (const r of todo) byStore.set(r.store_id, [...(byStore.get(r.store_id) ?? []), r.id]);
  await Promise.all([...byStore].map(async ([storeId, ids]) => {
    const lanes = Math.max(1, rt.stores.get(storeId)?.maxConcurrency ?? 1);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(lanes, ids.length) }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          const o = await deliverObject(ctx, rt, id);
          if (o.kind === 'deleted') result.deleted++;
          else if (o.kind === 'kept') result.kept++;
          else if (o.kind !== 'skipped') result.notDeleted++;
        } catch (e) {
          // PostgreSQL itself failed: the row keeps its lease and the worker retries it later.
          ctx.log.error({ deletion: id, store: storeId, err: describeError(e) }, 'object deletion attempt could not be recorded');
          result.notDeleted++;
        }
      }
    }));
  }));
  return result;
}
