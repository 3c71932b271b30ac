// Writes a batch's evidence inside the purge transaction and seals it into the chain. Rows are
// chained within their batch only, so purges run in parallel; they serialise just for the seal,
// the last statement before commit.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { LOCKS, arrayParam, one, rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import { GENESIS, batchStartHash, recordHash, sealHash, type HashedFields } from './hash.ts';

export interface EvidenceInput {
  runId: string;
  policyId: string;
  policyVersion: string;
  category: string;
  classification: string;
  trigger: string;
  action: string;
  /** Schema-qualified table name. */
  table: string;
  recordRef: string | null;
  subjectRef: string | null;
  /** Anonymised columns and their strategies; never a value of the data. */
  fields: Record<string, string> | null;
  partner: string | null;
  actor: string;
  occurredAt: Date;
}

/**
 * Inserts one evidence row per input (positions 0..n-1 of `batchId`) in one statement, then
 * appends the batch's seal. Call it last in the transaction: the seal takes the chain lock,
 * which is held until commit. Returns the number of rows written; none → no seal.
 */
export async function appendEvidence(
  tx: Executor, keys: Keys, batchId: string, records: EvidenceInput[], sealedAt: Date,
): Promise<number> {
  if (records.length === 0) return 0;
  // PostgreSQL hands uuids back lower-case: hash what will be read back.
  const batch = batchId.toLowerCase();
  const n = records.length;
  const cols = {
    pos: new Array<number>(n), run: new Array<string>(n), policy: new Array<string>(n),
    version: new Array<string>(n), category: new Array<string>(n), classification: new Array<string>(n),
    trigger: new Array<string>(n), action: new Array<string>(n), table: new Array<string>(n),
    recordRef: new Array<string | null>(n), subjectRef: new Array<string | null>(n),
    fields: new Array<string | null>(n), partner: new Array<string | null>(n), actor: new Array<string>(n),
    occurredAt: new Array<string>(n), prev: new Array<string>(n), hash: new Array<string>(n),
  };
  let prev = batchStartHash(keys.evidenceKey, batch);
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const h: HashedFields = {
      batch_id: batch, batch_pos: i, run_id: r.runId.toLowerCase(), policy_id: r.policyId,
      policy_version: r.policyVersion, category: r.category, classification: r.classification,
      trigger: r.trigger, action: r.action, table: r.table, record_ref: r.recordRef, subject_ref: r.subjectRef,
      fields: r.fields, partner: r.partner, actor: r.actor, occurred_at: r.occurredAt.toISOString(),
    };
    const hash = recordHash(keys.evidenceKey, prev, h);
    cols.pos[i] = i; cols.run[i] = h.run_id; cols.policy[i] = h.policy_id; cols.version[i] = h.policy_version;
    cols.category[i] = h.category; cols.classification[i] = h.classification; cols.trigger[i] = h.trigger;
    cols.action[i] = h.action; cols.table[i] = h.table; cols.recordRef[i] = h.record_ref;
    cols.subjectRef[i] = h.subject_ref; cols.fields[i] = h.fields === null ? null : JSON.stringify(h.fields);
    cols.partner[i] = h.partner; cols.actor[i] = h.actor; cols.occurredAt[i] = h.occurred_at;
    cols.prev[i] = prev; cols.hash[i] = hash;
    prev = hash;
  }
  // One statement whatever the batch size: one array parameter per column, not n×19 parameters.
  await tx.execute(sql`INSERT INTO lethe.evidence (batch_id, batch_pos, run_id, policy_id, policy_version,
      category, classification, trigger, action, "table", record_ref, subject_ref, fields, partner, actor,
      occurred_at, prev_hash, hash)
    SELECT ${batch}::uuid, u.* FROM unnest(
      ${arrayParam(cols.pos)}::int[], ${arrayParam(cols.run)}::uuid[], ${arrayParam(cols.policy)}::text[],
      ${arrayParam(cols.version)}::text[], ${arrayParam(cols.category)}::text[],
      ${arrayParam(cols.classification)}::text[], ${arrayParam(cols.trigger)}::text[],
      ${arrayParam(cols.action)}::text[], ${arrayParam(cols.table)}::text[], ${arrayParam(cols.recordRef)}::text[],
      ${arrayParam(cols.subjectRef)}::text[], ${arrayParam(cols.fields)}::jsonb[], ${arrayParam(cols.partner)}::text[],
      ${arrayParam(cols.actor)}::text[], ${arrayParam(cols.occurredAt)}::timestamptz[],
      ${arrayParam(cols.prev)}::text[], ${arrayParam(cols.hash)}::text[]) AS u`);
  await seal(tx, keys, batch, n, prev, sealedAt);
  return n;
}

async function seal(tx: Executor, keys: Keys, batchId: string, records: number, lastHash: string, sealedAt: Date) {
  // Held until commit, so the next sealer reads this seal as its predecessor. That read needs a
  // fresh snapshot: READ COMMITTED, where each statement after the lock sees the last commit.
  const [state] = await rows<{ iso: string }>(tx, sql`SELECT pg_advisory_xact_lock(${LOCKS.evidenceChain}),
    current_setting('transaction_isolation') AS iso`);
  if (state!.iso !== 'read committed') {
    throw new Error(`evidence can only be sealed in a READ COMMITTED transaction (this one is ${state!.iso}): a stale snapshot would fork the seal chain`);
  }
  const last = await one<{ hash: string }>(tx, sql`SELECT hash FROM lethe.evidence_seals ORDER BY seq DESC LIMIT 1`);
  const prev = last?.hash ?? GENESIS;
  const at = sealedAt.toISOString();
  const hash = sealHash(keys.evidenceKey, prev, batchId, records, lastHash, at);
  await tx.execute(sql`INSERT INTO lethe.evidence_seals (batch_id, records, last_hash, prev_hash, hash, sealed_at)
    VALUES (${batchId}::uuid, ${records}, ${lastHash}, ${prev}, ${hash}, ${at}::timestamptz)`);
}
