// The head of a JSON export: what the file holds (its range, how many seals and records, the
// last seal) under an HMAC of LETHE_SECRET's evidence key. Without it, an export whose `range`
// was narrowed and whose newest records and seals were cut still checked out: a shorter chain
// is still a chain. Anyone holding the secret could forge it — as the hashes themselves; a
// signature (sign.ts) is what proves the file to someone who does not hold it.
import { hmacHex } from '../crypto/keys.ts';
import { canonicalJSON, type SealRecord } from './hash.ts';

export interface ExportRange {
  from: string | null;
  to: string | null;
}

export interface ExportHead {
  range: ExportRange;
  anchors: number;
  seals: number;
  last_seal: string | null;
  records: number;
  mac: string;
}

function mac(key: Buffer, format: string, h: Omit<ExportHead, 'mac'>): string {
  return hmacHex(key, `export-head|${canonicalJSON({ format, range: h.range, anchors: h.anchors, seals: h.seals, last_seal: h.last_seal, records: h.records })}`);
}

export function exportHead(key: Buffer, format: string, h: Omit<ExportHead, 'mac'>): ExportHead {
  return { ...h, mac: mac(key, format, h) };
}

interface FileParts {
  format: string;
  range: ExportRange;
  anchors?: unknown[];
  seals: SealRecord[];
  records: unknown[];
  head?: ExportHead;
}

/** What is wrong with a file's head, or null: it is authentic and describes the file as it is. */
export function headProblem(key: Buffer, file: FileParts): string | null {
  const h = file.head;
  if (!h || typeof h !== 'object') return 'the export has no head: its end cannot be checked (it was cut, or written by an older lethe: export it again)';
  const actual = { range: file.range, anchors: file.anchors?.length ?? 0, seals: file.seals.length,
    last_seal: file.seals.at(-1)?.hash ?? null, records: file.records.length };
  if (h.mac !== mac(key, file.format, h)) return 'the export\'s head does not match its MAC: the head was altered';
  if (canonicalJSON(h.range) !== canonicalJSON(actual.range)) return `the export says its range is ${canonicalJSON(actual.range)}, its head says ${canonicalJSON(h.range)}: the range was changed`;
  if (h.seals !== actual.seals || h.last_seal !== actual.last_seal) return `the head counts ${h.seals} seals ending with ${h.last_seal?.slice(0, 12) ?? 'none'}…, the file holds ${actual.seals}: seals were cut or added`;
  if (h.records !== actual.records) return `the head counts ${h.records} records, the file holds ${actual.records}: records were cut or added`;
  if (h.anchors !== actual.anchors) return `the head counts ${h.anchors} prune anchors, the file holds ${actual.anchors}`;
  return null;
}
