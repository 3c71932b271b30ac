// `evidence verify --from-file`: checks an export with no database. Two independent parts:
// - the signature (Ed25519, public key only): the file is byte for byte what lethe wrote;
// - the hashes (HMAC, needs LETHE_SECRET): every record, every batch chain and the stretch of
//   the seal chain the file carries, recomputed exactly as `evidence verify` does.
// Only a JSON export carries the seals; a CSV or HTML file gets its signature checked alone.
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { ChainChecker, type VerifyResult } from './chain.ts';
import { GENESIS, type EvidenceRecord, type SealRecord } from './hash.ts';
import { EXPORT_FORMAT_ID, EXPORT_FORMAT_V1 } from './export.ts';
import { headProblem, type ExportHead } from './export-head.ts';
import type { RegisterRun } from './register.ts';
import { checkAnchorChain, type AnchorRow } from './prune.ts';
import { checkSignature, type SignatureCheck } from './sign.ts';

export interface HashCheck {
  checked: boolean;
  ok: boolean;
  message: string;
}

export interface FileVerifyResult extends VerifyResult {
  file: string;
  signature: SignatureCheck;
  hashes: HashCheck;
}

export interface FileVerifyOptions {
  /** From LETHE_SECRET; without it the hashes are not checked. */
  evidenceKey: Buffer | undefined;
  verifyKey: KeyObject | undefined;
}

interface ExportFile {
  format: string;
  range: { from: string | null; to: string | null };
  runs: RegisterRun[];
  /** Prune anchors (absent in files written before pruning existed). */
  anchors?: AnchorRow[];
  seals: SealRecord[];
  records: EvidenceRecord[];
  /** Format 2 on: what the file holds, under an HMAC (export-head.ts). */
  head?: ExportHead;
}

export async function verifyExportFile(path: string, opts: FileVerifyOptions): Promise<FileVerifyResult> {
  const signature = await checkSignature(path, opts.verifyKey);
  const base = { file: path, signature };
  const text = await readFile(path, 'utf8');
  const doc = parseExport(text);
  if ('broken' in doc) {
    return { ...base, ok: false, records: 0, first_broken: doc.broken, hashes: { checked: true, ok: false, message: doc.broken.reason } };
  }
  if (doc.file === null) {
    return { ...base, ok: signature.ok, records: 0, first_broken: null,
      hashes: { checked: false, ok: false, message: 'hashes not checked: only a JSON export carries the seals (the signature covers this file)' } };
  }
  const file = doc.file;
  if (!opts.evidenceKey) {
    return { ...base, ok: signature.ok, records: file.records.length, first_broken: null,
      hashes: { checked: false, ok: false, message: 'hashes not checked: LETHE_SECRET is not set (the HMAC keys derive from it)' } };
  }
  const result = checkHashes(file, opts.evidenceKey);
  // A file of the first layout has no head: its end can be cut unnoticed, unless a signature holds it.
  if (file.format === EXPORT_FORMAT_V1 && result.ok && !signature.ok) {
    const reason = `an unsigned export in ${EXPORT_FORMAT_V1} has no head, so records cut from its end would go unnoticed: export it again`;
    return { ...base, ok: false, records: result.records, first_broken: { seq: 0, reason }, hashes: { checked: true, ok: false, message: `hashes not trusted: ${reason}` } };
  }
  const hashes = result.ok
    ? { checked: true, ok: true, message: `hashes OK: ${result.records} records, ${file.seals.length} seals, chain intact` }
    : { checked: true, ok: false, message: `hashes BROKEN at record seq ${result.first_broken!.seq}: ${result.first_broken!.reason}` };
  // An absent signature fails only where a verify key says exports are expected to be signed.
  const signatureOk = signature.ok || (signature.status === 'absent' && !opts.verifyKey);
  return { ...base, ...result, ok: result.ok && signatureOk, hashes };
}

function checkHashes(file: ExportFile, key: Buffer): VerifyResult {
  const from = file.range.from ?? '';
  const to = file.range.to ?? '\uffff';
  const ranged = file.range.from !== null || file.range.to !== null;
  // lethe writes a batch's records and its seal at one instant: a seal outside the range
  // belongs to a batch the export leaves out.
  const inRange = (iso: string) => iso >= from && iso < to;
  const anchors = checkAnchorChain(key, file.anchors ?? []);
  if (anchors.problem) return { ok: false, records: file.records.length, first_broken: { seq: 0, reason: anchors.problem } };
  const checker = new ChainChecker(key, file.seals, {
    anchor: ranged ? (file.seals[0]?.prev_hash ?? GENESIS) : anchors.start,
    mayBeAbsent: ranged ? (s) => !inRange(s.sealed_at) : undefined,
  });
  const sorted = [...file.records].sort((a, b) => (a.batch_id < b.batch_id ? -1 : a.batch_id > b.batch_id ? 1 : a.batch_pos - b.batch_pos || a.seq - b.seq));
  for (const r of sorted) checker.add(r);
  const result = checker.finish();
  const outside = file.records.find((r) => !inRange(r.occurred_at));
  const summary = registerProblem(file);
  const head = file.format === EXPORT_FORMAT_V1 ? null : headProblem(key, file);
  const candidates = [result.first_broken, outside ? { seq: outside.seq, reason: `occurred_at ${outside.occurred_at} lies outside the range the export names` } : null, summary,
    head === null ? null : { seq: 0, reason: head }]
    .filter((b): b is { seq: number; reason: string } => b !== null)
    .sort((a, b) => a.seq - b.seq);
  return { ok: candidates.length === 0, records: result.records, first_broken: candidates[0] ?? null };
}

/** The `runs` summary must account for exactly the records the file holds, run by run. */
function registerProblem(file: ExportFile): { seq: number; reason: string } | null {
  const counted = new Map<string, { n: number; seq: number }>();
  for (const r of file.records) {
    const c = counted.get(r.run_id) ?? { n: 0, seq: r.seq };
    c.n++;
    c.seq = Math.min(c.seq, r.seq);
    counted.set(r.run_id, c);
  }
  for (const run of file.runs) {
    // Lines of pruned evidence stay in the register; their records are no longer in any file.
    const said = run.policies.reduce((s, l) => s + l.records + l.child_rows - (l.pruned ?? 0), 0);
    const c = counted.get(run.run_id);
    if (said !== (c?.n ?? 0)) return { seq: c?.seq ?? 0, reason: `the register says run ${run.run_id} destroyed ${said} records and child rows, the file holds ${c?.n ?? 0}` };
    counted.delete(run.run_id);
  }
  const [stray] = counted;
  return stray ? { seq: stray[1].seq, reason: `run ${stray[0]} has records but no line in the register` } : null;
}

/** The export, `null` for a non-JSON file, or the record a parse error sits in. */
function parseExport(text: string): { file: ExportFile | null } | { broken: { seq: number; reason: string } } {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return { file: null };
  try {
    const doc = JSON.parse(text) as ExportFile;
    if ((doc.format !== EXPORT_FORMAT_ID && doc.format !== EXPORT_FORMAT_V1) || !Array.isArray(doc.records) || !Array.isArray(doc.seals)) {
      return { broken: { seq: 0, reason: `not a lethe evidence export (${EXPORT_FORMAT_ID}): no format, seals or records` } };
    }
    return { file: doc };
  } catch (e) {
    // One record per line (a seal line has no batch_pos): name the record the damage is in.
    const lines = text.split('\n');
    const at = lines.findIndex((l) => { const t = l.replace(/,$/, ''); if (!t.startsWith('{"seq"') || !t.includes('"batch_pos"')) return false; try { JSON.parse(t); return false; } catch { return true; } });
    const seq = at >= 0 ? Number(/^\{"seq":(\d+)/.exec(lines[at]!)?.[1] ?? 0) : 0;
    return { broken: { seq, reason: `the file is not valid JSON${at >= 0 ? ` at line ${at + 1}` : ''} (${(e as Error).message}): it was altered` } };
  }
}
