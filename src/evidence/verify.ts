// `evidence verify`: recomputes every row hash, every batch chain and the seal chain. Seals are
// few (one per batch) and held in memory; rows are streamed in keyset pages.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import { ChainChecker, type VerifyResult } from './chain.ts';
import { checkAnchors } from './prune.ts';
import { alteredPolicyTexts, missingBatchEvidence } from './cross-check.ts';
import { checkRegisterArchive } from './register-archive.ts';
import { EVIDENCE_COLUMNS, PAGE_ROWS, inSnapshot, SEAL_COLUMNS, toRecord, toSeal, type EvidenceRow, type SealRow } from './rows.ts';

export type { VerifyResult } from './chain.ts';

export interface VerifyOptions {
  /** Rows per keyset page (tests make it tiny to cross page boundaries). */
  pageRows?: number;
}

export async function verifyEvidence(db: Executor, keys: Keys, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const pageRows = opts.pageRows ?? PAGE_ROWS;
  // One snapshot for the seals and every page: a batch committed mid-run must not look unsealed.
  return inSnapshot(db, (tx) => verifyIn(tx, keys, pageRows));
}

async function verifyIn(tx: Executor, keys: Keys, pageRows: number): Promise<VerifyResult> {
  // After a prune, the seal chain starts at the latest anchor, whose own chain is checked first.
  const anchors = await checkAnchors(tx, keys.evidenceKey);
  const problem = anchors.problem ?? await checkRegisterArchive(tx, keys.evidenceKey);
  if (problem) {
    const first = await rows<{ seq: string | null; n: string }>(tx, sql`SELECT min(seq)::text AS seq, count(*)::text AS n FROM lethe.evidence`);
    return { ok: false, records: Number(first[0]!.n), first_broken: { seq: Number(first[0]!.seq ?? 0), reason: problem } };
  }
  const seals = (await rows<SealRow>(tx, sql`SELECT ${SEAL_COLUMNS} FROM lethe.evidence_seals s ORDER BY s.seq`)).map(toSeal);
  const checker = new ChainChecker(keys.evidenceKey, seals, { anchor: anchors.start });
  const firstSeq = new Map<string, number>();
  let after: EvidenceRow | undefined;
  for (;;) {
    // seq breaks ties so that a duplicated position (unique index dropped) is still read.
    const where = after
      ? sql`WHERE (e.batch_id, e.batch_pos, e.seq) > (${after.batch_id}::uuid, ${after.batch_pos}::int, ${after.seq}::bigint)`
      : sql``;
    const page = await rows<EvidenceRow>(tx, sql`SELECT ${EVIDENCE_COLUMNS} FROM lethe.evidence e ${where}
      ORDER BY e.batch_id, e.batch_pos, e.seq LIMIT ${pageRows}`);
    for (const r of page) {
      const record = toRecord(r);
      checker.add(record);
      if (!firstSeq.has(record.batch_id)) firstSeq.set(record.batch_id, record.seq);
    }
    if (page.length < pageRows) break;
    after = page.at(-1);
  }
  const chain = checker.finish();
  // What lethe's own records say must be there (cross-check.ts).
  const missing = [
    ...await missingBatchEvidence(tx, seals, firstSeq, anchors.cutoff),
    ...await alteredPolicyTexts(tx),
  ];
  if (missing.length === 0) return chain;
  const first = [chain.first_broken, ...missing].filter((m) => m !== null).sort((a, b) => a.seq - b.seq)[0]!;
  return { ok: false, records: chain.records, first_broken: { seq: first.seq, reason: first.reason }, missing: missing.map((m) => m.reason) };
}
