// Reading evidence rows back in the exact text the hashes were computed over, on either driver
// (node-postgres and PGlite disagree on int8, jsonb and timestamp types: everything comes as text).
import { sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/connect.ts';
import { isoFromPg, type EvidenceRecord, type SealRecord } from './hash.ts';

/** Rows per keyset page when streaming: bounded memory whatever the table size. */
export const PAGE_ROWS = 5000;

// Each column comes back under its own name as text: ORDER BY and keyset conditions must name
// the table's column (`e.seq`), or they would sort and compare the text.
export const EVIDENCE_COLUMNS: SQL = sql`seq::text AS seq, batch_id::text AS batch_id, batch_pos,
  run_id::text AS run_id, policy_id, policy_version, category, classification, trigger, action, "table",
  record_ref, subject_ref, fields::text AS fields, partner, actor,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS occurred_at, prev_hash, hash`;

export type EvidenceRow = Omit<EvidenceRecord, 'seq' | 'fields'> & { seq: string; fields: string | null };

export function toRecord(r: EvidenceRow): EvidenceRecord {
  return {
    ...r,
    seq: Number(r.seq),
    batch_pos: Number(r.batch_pos),
    fields: r.fields === null ? null : (JSON.parse(r.fields) as Record<string, string>),
    occurred_at: isoFromPg(r.occurred_at),
  };
}

export const SEAL_COLUMNS: SQL = sql`seq::text AS seq, batch_id::text AS batch_id, records, last_hash, prev_hash, hash,
  to_char(sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS sealed_at`;

export type SealRow = Omit<SealRecord, 'seq'> & { seq: string };

export function toSeal(r: SealRow): SealRecord {
  return { ...r, seq: Number(r.seq), records: Number(r.records), sealed_at: isoFromPg(r.sealed_at) };
}

/**
 * Runs a multi-page read in one snapshot (REPEATABLE READ, read only), so that a batch
 * committing meanwhile is either wholly in or wholly out. Inside a caller's transaction, that one.
 */
export async function inSnapshot<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return fn(db);
  return db.transaction((tx) => fn(tx), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}
