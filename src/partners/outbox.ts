// The transactional outbox: inside the purge transaction, one request row per partner that the
// sharing ledger says received the destroyed records' subjects' data of the policy's category.
// Nothing is sent here: the row commits (or rolls back) with the destruction, and the
// notify-partner job delivers it afterwards — so no request ever leaves before its destruction
// committed, and none is lost if the process dies right after the commit.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor, Tx } from '../db/connect.ts';
import { arrayParam, rows } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import type { Policy } from '../policy/types.ts';

/**
 * The ledger lethe reads (the lender's table, or a view with these columns over it):
 * `public.data_sharing_ledger (partner_id, customer_id, category, partner_subject_ref, shared_at)`;
 * `customer_id` holds the same ids as the policies' `source.subject` columns.
 */
export const LEDGER = sql`public.data_sharing_ledger`;

export interface QueuedRequest {
  id: string;
  partnerId: string;
}

export interface RequestOrigin {
  batchId: string;
  runId: string;
  trigger: string;
  actor: string;
}

interface NewRequest {
  partnerId: string;
  dedupeKey: string;
  trigger: string;
  runId: string;
  batchId: string | null;
  policyId: string;
  policyVersion: string;
  classification: string;
  actor: string;
  categories: string[];
  subjectRefs: string[];
  partnerRefs: string[];
}

/**
 * Called by purgeBatch for a `partners: notify` policy, after the records went and before the
 * batch closes, with the rows it locked (key, raw subject) and the keys actually destroyed or
 * anonymised. Returns the requests queued, for the caller to enqueue after commit.
 */
export async function queuePartnerRequests(
  tx: Tx, ctx: EngineContext, rules: Ruleset, p: Policy, origin: RequestOrigin,
  locked: readonly { k: string; s: string | null }[], done: readonly string[], now: Date,
): Promise<QueuedRequest[]> {
  if (done.length === 0) return [];
  const gone = new Set(done);
  return queueSubjectRequests(tx, ctx, rules, p, origin, [...new Set(locked.filter((r) => r.s !== null && gone.has(r.k)).map((r) => r.s!))], now);
}

/**
 * The same for the distinct raw subjects of what one batch destroyed (a whole partition's, read
 * as it went): one request per partner that received any of them, deduplicated per batch.
 */
export async function queueSubjectRequests(
  tx: Tx, ctx: EngineContext, rules: Ruleset, p: Policy, origin: RequestOrigin, subjects: readonly string[], now: Date,
): Promise<QueuedRequest[]> {
  if (subjects.length === 0) return [];
  const subjectType = rules.types.of(p.source, p.source.subject);
  const shared = await rows<{ partner_id: string; subjects: string[]; refs: string[] }>(tx, sql`SELECT partner_id,
      array_agg(customer_id::text ORDER BY customer_id) AS subjects, array_agg(partner_subject_ref ORDER BY customer_id) AS refs
    FROM ${LEDGER} WHERE category = ${p.category} AND customer_id = ANY(${arrayParam(subjects)}::${sql.raw(subjectType)}[])
    GROUP BY partner_id ORDER BY partner_id`);
  const out: QueuedRequest[] = [];
  for (const s of shared) {
    const r = await insertRequest(tx, {
      partnerId: s.partner_id, dedupeKey: `batch:${origin.batchId}`, trigger: origin.trigger, runId: origin.runId,
      batchId: origin.batchId, policyId: p.id, policyVersion: p.version, classification: p.classification,
      actor: origin.actor, categories: [p.category],
      subjectRefs: [...new Set(s.subjects.map((x) => subjectRef(ctx.keys, x)))], partnerRefs: [...new Set(s.refs)],
    }, now);
    if (r) out.push(r);
  }
  return out;
}

/** One outbox row; a second row for the same partner and dedupe key is not written. */
export async function insertRequest(db: Executor, r: NewRequest, now: Date): Promise<QueuedRequest | null> {
  const id = randomUUID();
  const inserted = await rows<{ id: string }>(db, sql`INSERT INTO lethe.partner_requests (id, partner_id, dedupe_key, status,
      trigger, run_id, batch_id, policy_id, policy_version, classification, actor, categories, subject_refs, payload,
      next_attempt_at, created_at)
    VALUES (${id}, ${r.partnerId}, ${r.dedupeKey}, 'pending', ${r.trigger}, ${r.runId}, ${r.batchId}, ${r.policyId},
      ${r.policyVersion}, ${r.classification}, ${r.actor}, ${arrayParam(r.categories)}::text[], ${arrayParam(r.subjectRefs)}::text[],
      ${JSON.stringify({ subjects: r.partnerRefs })}::jsonb, ${now}, ${now})
    ON CONFLICT (partner_id, dedupe_key) DO NOTHING RETURNING id::text`);
  return inserted.length > 0 ? { id, partnerId: r.partnerId } : null;
}
