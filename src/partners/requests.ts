// A partner request's row and its evidence. Each state change that matters to an auditor —
// sent, confirmed, failed — is a guarded UPDATE (`WHERE status IN …`) and writes its evidence in
// the same transaction only if the row actually moved: evidence is written exactly once per
// change, however many deliveries or confirmations race for it.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one } from '../db/sql.ts';
import { recordRef, type Keys } from '../crypto/keys.ts';
import { appendEvidence } from '../evidence/append.ts';
import { newBatchId } from '../evidence/batch-id.ts';

export const REQUEST_TABLE = 'lethe.partner_requests';

export type PartnerAction = 'partner_notified' | 'partner_confirmed' | 'partner_failed';

export interface RequestRow extends Record<string, unknown> {
  id: string;
  partner_id: string;
  status: 'pending' | 'sent' | 'confirmed' | 'failed';
  trigger: string;
  run_id: string;
  policy_id: string;
  policy_version: string;
  classification: string;
  actor: string;
  categories: string[];
  subject_refs: string[];
  payload: { subjects: string[] } | null;
  attempts: number;
  sent_at: string | null;
  deadline_at: string | null;
  reminders: number;
}

export const REQUEST_COLUMNS = sql`id::text, partner_id, status, trigger, run_id::text, policy_id, policy_version,
  classification, actor, categories, subject_refs, payload, attempts, sent_at::text, deadline_at::text, reminders`;

export async function readRequest(db: Executor, id: string, lock = false): Promise<RequestRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return one<RequestRow>(db, sql`SELECT ${REQUEST_COLUMNS} FROM lethe.partner_requests WHERE id = ${id}::uuid ${lock ? sql`FOR UPDATE` : sql``}`);
}

/**
 * One evidence row per subject the request names (so `evidence find --subject` shows the
 * partner's part), sealed as a mini-batch of its own. `fields` carries the request id and
 * counts, never a value. Call it last in the transaction (the seal takes the chain lock).
 */
export async function requestEvidence(
  tx: Executor, keys: Keys, r: RequestRow, action: PartnerAction, now: Date, extra: Record<string, string> = {},
): Promise<number> {
  const base = {
    runId: r.run_id, policyId: r.policy_id, policyVersion: r.policy_version, category: r.categories.join(','),
    classification: r.classification, trigger: r.trigger, action, table: REQUEST_TABLE,
    recordRef: recordRef(keys, REQUEST_TABLE, r.id), fields: { request: r.id, subjects: String(r.subject_refs.length), ...extra },
    partner: r.partner_id, actor: r.actor, occurredAt: now,
  };
  const refs: (string | null)[] = r.subject_refs.length > 0 ? r.subject_refs : [null];
  return appendEvidence(tx, keys, newBatchId(), refs.map((subjectRef) => ({ ...base, subjectRef })), now);
}
