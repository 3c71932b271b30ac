import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import type { Policy } from '../policy/types.ts';
import { one } from '../db/sql.ts';
import { createPolicyScans, createRun } from './runs.ts';
import { closeScan } from '../destroy/scan.ts';

export const SCHEDULER_ACTOR = 'lethe:scheduler';

/**
 * A scheduler tick: a run and a scan of its own, unless an earlier scan of the same policy is
 * still open (then the tick is skipped: the open one will get there).
 */
export async function startScheduledScan(ctx: EngineContext, p: Policy): Promise<string[]> {
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`lethe:scan:${p.id}`}))`);
    const open = await one<{ id: string }>(tx, sql`SELECT id::text FROM lethe.scans
      WHERE policy_id = ${p.id} AND status IN ('pending', 'running') LIMIT 1`);
    if (open) return [];
    const now = ctx.clock.now();
    const runId = await createRun(tx, { kind: 'scheduled', trigger: p.trigger.kind, actor: SCHEDULER_ACTOR, at: now });
    return createPolicyScans(tx, runId, p, now);
  });
}

/** A failed scan keeps its reason, not its raw subject id or the last business key it paged past. */
export async function failScan(ctx: EngineContext, scanId: string, reason: string): Promise<void> {
  await closeScan(ctx.db, scanId, 'failed', ctx.clock.now(), reason);
}
