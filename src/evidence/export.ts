// `evidence export`: the destruction register for auditors and regulators, in time order
// (occurred_at, then seq), streamed in keyset pages so that millions of records never sit in
// memory. Paging on (occurred_at, seq) lets the occurred_at index serve a narrow --from/--to
// as well as a full export; paging on seq alone would re-sort the whole range for every page.
import { once } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { canonicalJSON, type EvidenceRecord } from './hash.ts';
import { EVIDENCE_COLUMNS, PAGE_ROWS, inSnapshot, toRecord, type EvidenceRow } from './rows.ts';

export interface ExportOptions {
  /** occurred_at ≥ from (inclusive). */
  from?: Date | undefined;
  /** occurred_at < to (exclusive). */
  to?: Date | undefined;
  format: 'json' | 'csv';
  out: NodeJS.WritableStream;
  /** Rows per keyset page (tests make it tiny to cross page boundaries). */
  pageRows?: number;
}

/** The contract's fields in the contract's order, then where each row sits in its batch chain. */
export const EXPORT_COLUMNS = [
  'seq', 'run_id', 'policy_id', 'policy_version', 'category', 'classification', 'trigger', 'action', 'table',
  'record_ref', 'subject_ref', 'fields', 'partner', 'actor', 'occurred_at', 'prev_hash', 'hash',
  'batch_id', 'batch_pos',
] as const satisfies readonly (keyof EvidenceRecord)[];

/** Writes the register to `out` (which it does not end) and returns the number of records. */
export async function exportEvidence(db: Executor, opts: ExportOptions): Promise<number> {
  return inSnapshot(db, (tx) => exportIn(tx, opts));
}

async function exportIn(db: Executor, opts: ExportOptions): Promise<number> {
  const { out, format, pageRows = PAGE_ROWS } = opts;
  const filter: SQL[] = [];
  if (opts.from) filter.push(sql`e.occurred_at >= ${opts.from.toISOString()}::timestamptz`);
  if (opts.to) filter.push(sql`e.occurred_at < ${opts.to.toISOString()}::timestamptz`);
  await write(out, format === 'csv' ? csvLine(EXPORT_COLUMNS) : '{"records":[');
  let n = 0;
  let after: EvidenceRow | undefined;
  for (;;) {
    // The raw text keeps microseconds, so the keyset compares the exact stored instant.
    const where: SQL[] = after === undefined ? filter
      : [...filter, sql`(e.occurred_at, e.seq) > (${`${after.occurred_at}Z`}::timestamptz, ${after.seq}::bigint)`];
    const page: EvidenceRow[] = await rows<EvidenceRow>(db, sql`SELECT ${EVIDENCE_COLUMNS} FROM lethe.evidence e
      ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``} ORDER BY e.occurred_at, e.seq LIMIT ${pageRows}`);
    let chunk = '';
    for (const row of page) {
      const r = ordered(toRecord(row));
      chunk += format === 'csv'
        ? csvLine(EXPORT_COLUMNS.map((c) => (c === 'fields' ? (r.fields === null ? null : canonicalJSON(r.fields)) : r[c])))
        : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(r)}`;
      n++;
    }
    if (chunk) await write(out, chunk);
    if (page.length < pageRows) break;
    after = page.at(-1);
  }
  if (format === 'json') await write(out, '\n]}\n');
  return n;
}

function ordered(r: EvidenceRecord): EvidenceRecord {
  return Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, r[c]])) as unknown as EvidenceRecord;
}

/** RFC 4180: CRLF line ends; a field with a quote, comma or line break is quoted, quotes doubled. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map((v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',')}\r\n`;
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
