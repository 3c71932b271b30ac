// `evidence export`: the destruction register for auditors and regulators, in time order
// (occurred_at, then seq), streamed in keyset pages so that millions of records never sit in
// memory. Paging on (occurred_at, seq) lets the occurred_at index serve a narrow --from/--to
// as well as a full export; paging on seq alone would re-sort the whole range for every page.
// JSON also carries the register (`runs`, see register.ts) and the seals the records' batches
// were sealed with, so that `evidence verify --from-file` can re-check it with no database.
// CSV stays one line per record; HTML is the register alone (register-html.ts).
import { once } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { canonicalJSON, type EvidenceRecord, type SealRecord } from './hash.ts';
import { exportHead } from './export-head.ts';
import { EVIDENCE_COLUMNS, PAGE_ROWS, SEAL_COLUMNS, inSnapshot, toRecord, toSeal, type EvidenceRow, type SealRow } from './rows.ts';
import { buildRegister, rangeFilter } from './register.ts';
import { renderRegisterHtml } from './register-html.ts';
import { allAnchors } from './prune.ts';

export const EXPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** Names the JSON layout, so that an offline verifier knows what it reads. */
export const EXPORT_FORMAT_ID = 'lethe-evidence-export/2';
/** The first layout, with no head: read by `evidence verify --from-file` only when signed. */
export const EXPORT_FORMAT_V1 = 'lethe-evidence-export/1';

export interface ExportOptions {
  /** occurred_at ≥ from (inclusive). */
  from?: Date | undefined;
  /** occurred_at < to (exclusive). */
  to?: Date | undefined;
  format: ExportFormat;
  out: NodeJS.WritableStream;
  /** Rows per keyset page (tests make it tiny to cross page boundaries). */
  pageRows?: number;
  /** When the export is made (shown in the HTML register); default now. */
  now?: Date;
  /** LETHE_SECRET's evidence key: a JSON export ends with a head under its MAC (export-head.ts). */
  evidenceKey: Buffer;
  /** The zone of the HTML register's times (LETHE_TIMEZONE); JSON and CSV stay UTC. */
  timeZone?: string | undefined;
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
  const filter = rangeFilter(opts);
  if (format === 'html') {
    const runs = await buildRegister(db, opts);
    await write(out, renderRegisterHtml(runs, { from: opts.from, to: opts.to, now: opts.now ?? new Date(), timeZone: opts.timeZone }));
    return runs.reduce((s, r) => s + r.records + r.child_rows + r.other_records, 0);
  }
  let anchors: unknown[] = [];
  let seals: SealRecord[] = [];
  const range = { from: opts.from?.toISOString() ?? null, to: opts.to?.toISOString() ?? null };
  if (format === 'csv') await write(out, csvLine(EXPORT_COLUMNS));
  else {
    const runs = await buildRegister(db, opts);
    seals = await sealsFor(db, filter);
    // After a prune the seal chain starts at the latest anchor: the file carries the anchors' chain.
    anchors = await allAnchors(db);
    await write(out, `{"format":${JSON.stringify(EXPORT_FORMAT_ID)},"range":${JSON.stringify(range)},\n"runs":${JSON.stringify(runs)},\n"anchors":${JSON.stringify(anchors)},\n"seals":[${
      seals.map((x) => `\n${JSON.stringify(x)}`).join(',')}],\n"records":[`);
  }
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
  if (format === 'json') {
    const head = exportHead(opts.evidenceKey, EXPORT_FORMAT_ID, { range, anchors: anchors.length, seals: seals.length, last_seal: seals.at(-1)?.hash ?? null, records: n });
    await write(out, `\n],\n"head":${JSON.stringify(head)}}\n`);
  }
  return n;
}

/**
 * The seals of the exported records' batches, as one unbroken stretch of the seal chain (from
 * the first such seal to the last): the verifier checks every link. Seals inside the stretch
 * whose batch lies outside [from, to) come along with no records (see offline.ts).
 */
async function sealsFor(db: Executor, filter: SQL[]): Promise<SealRecord[]> {
  const stretch = filter.length === 0 ? sql`` : sql`WHERE s.seq BETWEEN
    (SELECT min(s2.seq) FROM lethe.evidence_seals s2 WHERE s2.batch_id IN (SELECT e.batch_id FROM lethe.evidence e WHERE ${sql.join(filter, sql` AND `)}))
    AND (SELECT max(s2.seq) FROM lethe.evidence_seals s2 WHERE s2.batch_id IN (SELECT e.batch_id FROM lethe.evidence e WHERE ${sql.join(filter, sql` AND `)}))`;
  const r = await rows<SealRow>(db, sql`SELECT ${SEAL_COLUMNS} FROM lethe.evidence_seals s ${stretch} ORDER BY s.seq`);
  return r.map(toSeal);
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
