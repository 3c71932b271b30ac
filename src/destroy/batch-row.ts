// The batch row a purge transaction works on, read together with everything that decides how
// its records may go — active holds, open restrictions, the request behind a manual or erasure
// run — in one statement under the batch row's lock.
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { one } from '../db/sql.ts';
import type { Sealed } from '../evidence/append.ts';

/** The four-eyes request behind a `manual` batch. */
export interface ManualRequest {
  id: string;
  kind: 'policy' | 'subject';
  requested_by: string;
  approved_by: string;
  reason: string;
  /** A subject purge's subject: what each record must still belong to when it is destroyed. */
  subject_ref: string | null;
}

export interface BatchRow {
  runId: string;
  policyId: string;
  policyVersion: string;
  trigger: string;
  actor: string;
  /** Keys the batch was cut with (they stay in its row, read there by the statements). */
  size: number;
  /** The batch still holds its keys: it has not been carried out or failed. */
  open: boolean;
  /** Subject refs under an active hold that applies to this batch's policy. */
  holds: ReadonlySet<string>;
  /** Some record of the policy is restricted by an erasure request (its floor still ran). */
  restrictionsOpen: boolean;
  manual: ManualRequest | null;
  erasureRequest: string | null;
}

interface Raw extends Record<string, unknown> {
  run_id: string;
  policy_id: string;
  policy_version: string;
  trigger: string;
  actor: string;
  size: number;
  open: boolean;
  holds: string[];
  restrictions_open: boolean;
  manual: ManualRequest | null;
  erasure_request: string | null;
}

/** Locks and reads the batch row; call it after the shared holds lock, so the holds are complete. */
export async function loadBatch(tx: Tx, batchId: string): Promise<BatchRow> {
  const r = await one<Raw>(tx, sql`SELECT b.run_id::text, b.policy_id, b.policy_version, b.trigger, b.actor, b.size, b.status = 'pending' AND b.keys IS NOT NULL AS open,
      ARRAY(SELECT DISTINCT h.subject_ref FROM lethe.holds h
        WHERE h.released_at IS NULL AND (h.policy_id IS NULL OR h.policy_id = b.policy_id)) AS holds,
      EXISTS (SELECT 1 FROM lethe.restrictions r WHERE r.policy_id = b.policy_id AND r.closed_at IS NULL) AS restrictions_open,
      CASE WHEN b.trigger = 'manual' THEN (SELECT to_jsonb(x) FROM (SELECT p.id, p.kind, p.requested_by, p.approved_by, p.reason,
        p.subject_ref FROM lethe.purge_requests p WHERE p.run_id = b.run_id) x) END AS manual,
      CASE WHEN b.trigger = 'erasure_request' THEN (SELECT e.id FROM lethe.erasure_requests e WHERE e.run_id = b.run_id) END AS erasure_request
    FROM lethe.batches b WHERE b.id = ${batchId} FOR UPDATE OF b`);
  if (!r) throw new Error(`batch ${batchId} does not exist`);
  return {
    runId: r.run_id, policyId: r.policy_id, policyVersion: r.policy_version, trigger: r.trigger, actor: r.actor,
    size: r.size, open: r.open, holds: new Set(r.holds), restrictionsOpen: r.restrictions_open,
    manual: r.manual, erasureRequest: r.erasure_request,
  };
}

/** The batch's keys in the source key's type, read from its row inside the statement that uses them. */
export function batchKeys(batchId: string, keyType: string): SQL {
  return sql`(SELECT b.keys FROM lethe.batches b WHERE b.id = ${batchId})::${sql.raw(keyType)}[]`;
}

export interface BatchCounts {
  destroyed: number;
  anonymised: number;
  children: number;
  held: number;
  deferred: number;
  skipped: number;
}

/** Closes the batch with its counts and the seal of its evidence (none: nothing was destroyed or deferred). */
export async function closeBatch(tx: Tx, batchId: string, o: BatchCounts, sealed: Sealed, now: Date): Promise<void> {
  await tx.execute(sql`UPDATE lethe.batches SET status = 'done', keys = NULL,
    destroyed = ${o.destroyed}, anonymised = ${o.anonymised}, children = ${o.children}, held = ${o.held},
    skipped = ${o.skipped}, attempts = attempts + 1, finished_at = ${now}, error = NULL,
    seal_hash = ${sealed.sealHash}, evidence_records = ${sealed.records} WHERE id = ${batchId}`);
}

/**
 * After the last attempt failed: the batch is closed as failed, its keys cleared, the reason
 * kept without values. Nothing was destroyed (the transaction rolled back); the next scan
 * finds the records again.
 */
export async function failBatch(ctx: EngineContext, batchId: string, reason: string): Promise<void> {
  await ctx.db.execute(sql`UPDATE lethe.batches SET status = 'failed', keys = NULL, failed = size,
    attempts = attempts + 1, error = ${reason}, finished_at = ${ctx.clock.now()} WHERE id = ${batchId} AND status = 'pending'`);
}
