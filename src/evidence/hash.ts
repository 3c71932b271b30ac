// The evidence hashes, free of any database so that `evidence verify` and an offline verifier
// of an exported file compute exactly the same thing. Changing anything here invalidates every
// evidence row ever written: it needs a new chain version, not an edit.
import { hmacHex } from '../crypto/keys.ts';

/** The prev_hash of the first seal ever written. */
export const GENESIS = '0'.repeat(64);

/**
 * One evidence row as stored and exported (the contract's field names). `occurred_at` is an
 * ISO 8601 UTC string with milliseconds, `fields` a flat object or null.
 */
export interface EvidenceRecord {
  seq: number;
  batch_id: string;
  batch_pos: number;
  run_id: string;
  policy_id: string;
  policy_version: string;
  category: string;
  classification: string;
  trigger: string;
  action: string;
  table: string;
  record_ref: string | null;
  subject_ref: string | null;
  fields: Record<string, string> | null;
  partner: string | null;
  actor: string;
  occurred_at: string;
  prev_hash: string;
  hash: string;
}

/** What a row hash covers: every field but seq (assigned by PostgreSQL) and the hashes. */
export type HashedFields = Omit<EvidenceRecord, 'seq' | 'prev_hash' | 'hash'>;

export interface SealRecord {
  seq: number;
  batch_id: string;
  records: number;
  last_hash: string;
  prev_hash: string;
  hash: string;
  sealed_at: string;
}

/** JSON with object keys sorted at every level: one text per value, whatever the key order. */
export function canonicalJSON(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJSON: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(obj[k])}`).join(',')}}`;
}

/** The prev_hash of a batch's first row: binds the chain to its batch id. */
export function batchStartHash(evidenceKey: Buffer, batchId: string): string {
  return hmacHex(evidenceKey, `batch:${batchId}`);
}

export function recordHash(evidenceKey: Buffer, prevHash: string, r: HashedFields): string {
  // A fixed order, not an object: adding an export-only key can never change a hash.
  const payload = canonicalJSON([
    r.batch_id, r.batch_pos, r.run_id, r.policy_id, r.policy_version, r.category, r.classification,
    r.trigger, r.action, r.table, r.record_ref, r.subject_ref, r.fields, r.partner, r.actor, r.occurred_at,
  ]);
  return hmacHex(evidenceKey, `${prevHash}|${payload}`);
}

/** A seal binds its batch (id, size, last row hash) and the time of sealing to the seal before it. */
export function sealHash(
  evidenceKey: Buffer, prevHash: string, batchId: string, records: number, lastHash: string, sealedAt: string,
): string {
  return hmacHex(evidenceKey, `${prevHash}|${batchId}|${records}|${lastHash}|${sealedAt}`);
}

/**
 * PostgreSQL keeps microseconds, JavaScript milliseconds. Rows are written from a Date, so a
 * stored value with sub-millisecond digits was not written by lethe: it keeps them, and its
 * hash then cannot match. Input: `to_char(… AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`.
 */
export function isoFromPg(text: string): string {
  const micro = text.slice(23, 26);
  return micro === '000' ? `${text.slice(0, 23)}Z` : `${text}Z`;
}
