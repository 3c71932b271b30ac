// An object deletion's row and its evidence. Each settlement is a guarded UPDATE (`WHERE status =
// 'pending'`) that writes its evidence in the same transaction only if the row moved: one
// evidence record per object, however many attempts race for it. Settled rows lose the pointer.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import { appendEvidence } from '../evidence/append.ts';
import { VERIFY_FAILED } from '../destroy/post-check.ts';
import { newBatchId } from '../evidence/batch-id.ts';

export type ObjectAction = 'object_deleted' | 'object_failed';

export interface DeletionRow extends Record<string, unknown> {
  id: string;
  store_id: string;
  bucket: string | null;
  object_key: string | null;
  object_ref: string;
  status: 'pending' | 'deleted' | 'failed' | 'kept';
  run_id: string;
  batch_id: string;
  policy_id: string;
  policy_version: string;
  category: string;
  classification: string;
  trigger: string;
  actor: string;
  table_name: string;
  record_ref: string;
  subject_ref: string | null;
  attempts: number;
}

export const DELETION_COLUMNS = sql`id::text, store_id, bucket, object_key, object_ref, status, run_id::text, batch_id::text,
  policy_id, policy_version, category, classification, trigger, actor, table_name, record_ref, subject_ref, attempts`;

export const isDeletionId = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

const CHECK_ACTOR = 'lethe:post-check';

function evidenceOf(r: DeletionRow, action: string, fields: Record<string, unknown>, actor: string, now: Date) {
  return {
    runId: r.run_id, policyId: r.policy_id, policyVersion: r.policy_version, category: r.category, classification: r.classification,
    trigger: r.trigger, action, table: r.table_name, recordRef: r.record_ref, subjectRef: r.subject_ref,
    // The store and the object's ref, never its key or URI. Counts and flags stay JSON numbers
    // and booleans (`absent: true`), as the contract writes them.
    fields: { store: r.store_id, object: r.object_ref, ...fields } as unknown as Record<string, string>,
    partner: null, actor, occurredAt: now,
  };
}

/** The object is gone (or was already): row settled, pointer cleared, one `object_deleted` record. */
export async function settleDeleted(db: Db, keys: Keys, id: string, result: { versions: number; absent: boolean }, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [moved] = await rows<DeletionRow>(tx, sql`UPDATE lethe.object_deletions SET status = 'deleted', bucket = NULL, object_key = NULL,
        versions = ${result.versions}, absent = ${result.absent}, finished_at = ${now}, last_error = NULL
      WHERE id = ${id}::uuid AND status = 'pending' RETURNING ${DELETION_COLUMNS}`);
    if (!moved) return false;
    // The same file kept for other records (settleKept): ask again now, it may be theirs to record as gone.
    await tx.execute(sql`UPDATE lethe.object_deletions SET status = 'pending', next_attempt_at = ${now}, last_error = NULL
      WHERE status = 'kept' AND store_id = ${moved.store_id} AND object_ref = ${moved.object_ref}`);
    const fields = { versions: result.versions, ...(result.absent ? { absent: true } : {}) };
    await appendEvidence(tx, keys, newBatchId(), [evidenceOf(moved, 'object_deleted', fields, moved.actor, now)], now);
    return true;
  });
}

/**
 * Another row still points to the file (shared.ts): the row settles as kept, with the reason and
 * no evidence yet, and keeps its pointer — it is a deletion still owed. It is asked again when
 * the file's deletion for another record succeeds (settleDeleted) and daily in any case
 * (sweep.ts: the other row may go outside lethe); its one evidence record comes then.
 */
export async function settleKept(db: Db, id: string, reason: string, now: Date): Promise<boolean> {
  const moved = await rows<{ id: string }>(db, sql`UPDATE lethe.object_deletions SET status = 'kept', finished_at = ${now}, last_error = ${reason}
    WHERE id = ${id}::uuid AND status = 'pending' RETURNING id::text`);
  return moved.length > 0;
}

/**
 * After the last attempt, or when a version survived the deletion: row settled as failed, one
 * `object_failed` record with the reason (no key in it). The pointer stays: an operator must
 * follow the object up (an Object Lock that ends, a store to repair). A survivor also gets a
 * `verify_failed` record, as a row that came back after its deletion does.
 */
export async function settleFailed(
  db: Db, keys: Keys, id: string, reason: string, now: Date,
  survivors?: number,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [moved] = await rows<DeletionRow>(tx, sql`UPDATE lethe.object_deletions SET status = 'failed', finished_at = ${now}, last_error = ${reason}
      WHERE id = ${id}::uuid AND status = 'pending' RETURNING ${DELETION_COLUMNS}`);
    if (!moved) return false;
    const records = [evidenceOf(moved, 'object_failed', { error: reason, attempts: moved.attempts }, moved.actor, now)];
    if (survivors !== undefined) {
      records.push(evidenceOf(moved, VERIFY_FAILED, { check: 'post-destruction', expected: 'deleted', versions_left: survivors }, CHECK_ACTOR, now));
    }
    await appendEvidence(tx, keys, newBatchId(), records, now);
    return true;
  });
}
