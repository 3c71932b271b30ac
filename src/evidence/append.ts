// Writes a batch's evidence inside the destroying transaction and seals it into the chain. Rows
// are chained within their batch only, so purges run in parallel; they serialise just for the
// seal (seal.ts), the last statement before commit.
//
// A purge batch writes thousands of rows that differ only in their refs: everything else (run,
// policy, action, table, actor, time…) is one of a handful of "kinds". Rows therefore travel as
// three comma-joined strings of hex refs and hashes plus a small JSON list of kinds, and the
// server builds the rows and each row's prev_hash (the hash before it) itself: no per-row
// object, array element escaping or repeated constant on the client.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import type { Keys } from '../crypto/keys.ts';
import { batchStartHash } from './hash.ts';
import { rowHasher } from './row-hash.ts';
import { seal } from './seal.ts';

/** What every row of one kind shares: all of a row but its refs. */
export interface EvidenceKind {
  runId: string;
  policyId: string;
  policyVersion: string;
  category: string;
  classification: string;
  trigger: string;
  action: string;
  /** Schema-qualified table name. */
  table: string;
  /** Anonymised columns and their strategies, deferral terms…; never a value of the data. */
  fields: Record<string, string> | null;
  partner: string | null;
  actor: string;
  occurredAt: Date;
}

export interface EvidenceInput extends EvidenceKind {
  recordRef: string | null;
  subjectRef: string | null;
}

/** A batch's evidence rows in order, each a kind and its two refs (64 hex digits, or null). */
export class EvidenceRows {
  readonly kinds: EvidenceKind[] = [];
  readonly kindOf: number[] = [];
  readonly recordRefs: (string | null)[] = [];
  readonly subjectRefs: (string | null)[] = [];

  /** Registers a kind; rows then name it by the number returned. */
  kind(k: EvidenceKind): number {
    this.kinds.push(k);
    return this.kinds.length - 1;
  }

  add(kind: number, recordRef: string | null, subjectRef: string | null): void {
    this.kindOf.push(kind);
    this.recordRefs.push(recordRef);
    this.subjectRefs.push(subjectRef);
  }

  get length(): number {
    return this.kindOf.length;
  }

  /** One row per input, a kind for each distinct set of shared values. */
  static of(records: readonly EvidenceInput[]): EvidenceRows {
    const out = new EvidenceRows();
    const seen = new Map<string, number>();
    for (const r of records) {
      const { recordRef, subjectRef, ...k } = r;
      const id = JSON.stringify([k.runId, k.policyId, k.policyVersion, k.category, k.classification, k.trigger, k.action,
        k.table, k.fields, k.partner, k.actor, k.occurredAt.getTime()]);
      let n = seen.get(id);
      if (n === undefined) seen.set(id, (n = out.kind(k)));
      out.add(n, recordRef, subjectRef);
    }
    return out;
  }
}

/** Refs are hex or null, which travels as the empty string: anything else would not survive the join. */
function joined(values: readonly (string | null)[]): string {
  for (const v of values) {
    if (v === '' || v?.includes(',')) throw new Error("an evidence ref must be 64 hex digits or null (refs are HMACs, never raw values)");
  }
  return values.map((v) => v ?? '').join(',');
}

/**
 * Inserts the rows (positions 0..n-1 of `batchId`) in one statement, then appends the batch's
 * seal. Call it last in the transaction: the seal takes the chain lock, which is held until
 * commit. Returns the number of rows written; none → no seal.
 */
export async function appendEvidence(
  tx: Executor, keys: Keys, batchId: string, records: readonly EvidenceInput[] | EvidenceRows, sealedAt: Date,
): Promise<number> {
  return (await appendSealed(tx, keys, batchId, records, sealedAt)).records;
}

export interface Sealed {
  records: number;
  /** The batch's seal; null when there was nothing to seal. */
  sealHash: string | null;
}

/** appendEvidence, returning the seal as well (a purge batch keeps it on its row: batch-row.ts). */
export async function appendSealed(
  tx: Executor, keys: Keys, batchId: string, records: readonly EvidenceInput[] | EvidenceRows, sealedAt: Date,
): Promise<Sealed> {
  const ev = records instanceof EvidenceRows ? records : EvidenceRows.of(records);
  const n = ev.length;
  if (n === 0) return { records: 0, sealHash: null };
  // PostgreSQL hands uuids back lower-case: hash what will be read back.
  const batch = batchId.toLowerCase();
  const chained = chainEvidence(keys, batch, ev, { pos: 0, prev: batchStartHash(keys.evidenceKey, batch) });
  await insertEvidenceRows(tx, batch, ev, chained);
  return { records: n, sealHash: await seal(tx, keys, batch, n, chained.next.prev, sealedAt) };
}

/** Where the next rows of a batch go: their first position and the hash they chain to. */
export interface ChainPoint {
  pos: number;
  prev: string;
}

/** Rows of a batch hashed into its chain at `at`: their hashes and the point after them. */
export interface ChainedRows {
  at: ChainPoint;
  hashes: string[];
  next: ChainPoint;
}

/** The row hashes of `ev` placed at `at` in the chain of `batch` (lower-case). */
export function chainEvidence(keys: Keys, batch: string, ev: EvidenceRows, at: ChainPoint): ChainedRows {
  const hashes = rowHasher(keys.evidenceKey, batch, ev.kinds).chain(at.prev, ev.kindOf, ev.recordRefs, ev.subjectRefs, at.pos);
  return { at, hashes, next: ev.length === 0 ? at : { pos: at.pos + ev.length, prev: hashes[ev.length - 1]! } };
}

/**
 * Inserts hashed rows of `batch` in one statement, without sealing. appendEvidence writes a
 * batch at once; src/evidence/stream.ts writes a large one in parts and seals it at the end.
 */
export async function insertEvidenceRows(tx: Executor, batch: string, ev: EvidenceRows, chained: ChainedRows): Promise<void> {
  if (ev.length === 0) return;
  const { at, hashes } = chained;
  const kinds = ev.kinds.map((k, n) => ({
    n, run_id: k.runId.toLowerCase(), policy_id: k.policyId, policy_version: k.policyVersion, category: k.category,
    classification: k.classification, trigger: k.trigger, action: k.action, table: k.table, fields: k.fields,
    partner: k.partner, actor: k.actor, occurred_at: k.occurredAt.toISOString(),
  }));
  await tx.execute(sql`INSERT INTO lethe.evidence (batch_id, batch_pos, run_id, policy_id, policy_version,
      category, classification, trigger, action, "table", record_ref, subject_ref, fields, partner, actor,
      occurred_at, prev_hash, hash)
    SELECT ${batch}::uuid, u.pos - 1 + ${at.pos}::int, k.run_id, k.policy_id, k.policy_version, k.category, k.classification,
      k.trigger, k.action, k."table", u.record_ref, u.subject_ref, k.fields, k.partner, k.actor, k.occurred_at,
      coalesce(lag(u.hash) OVER (ORDER BY u.pos), ${at.prev}), u.hash
    FROM unnest(string_to_array(${ev.kindOf.join(',')}, ',')::int[], string_to_array(${joined(ev.recordRefs)}, ',', ''),
        string_to_array(${joined(ev.subjectRefs)}, ',', ''), string_to_array(${hashes.join(',')}, ','))
      WITH ORDINALITY AS u(kind, record_ref, subject_ref, hash, pos)
    JOIN jsonb_to_recordset(${JSON.stringify(kinds)}::jsonb) AS k(n int, run_id uuid, policy_id text,
        policy_version text, category text, classification text, trigger text, action text, "table" text, fields jsonb,
        partner text, actor text, occurred_at timestamptz) ON k.n = u.kind
    ORDER BY u.pos`);
}
