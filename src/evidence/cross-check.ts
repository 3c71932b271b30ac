// Evidence removed whole — its rows and its seals, the newest included — leaves a chain that
// checks out: nothing in the evidence tables says it existed. lethe's own records do. Each purge
// batch keeps on its row the seal its evidence was sealed with and how many records that seal
// covers (batch-row.ts); each policy version keeps its text, whose sha256 the version is.
// `evidence verify` checks both against what the evidence tables hold.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { SealRecord } from './hash.ts';

export interface Missing {
  /** The nearest record to look at (0 when none of it is left). */
  seq: number;
  reason: string;
}

interface BatchRow extends Record<string, unknown> {
  id: string;
  seal_hash: string | null;
  evidence_records: number | null;
  gone: number;
  finished_at: string;
}

/**
 * Every done batch that destroyed something, or sealed evidence, against the seals: its seal is
 * there, is the one its row names, and covers as many records. Batches finished before the last
 * prune's cutoff may have had their evidence pruned (three years on) and are not checked.
 */
export async function missingBatchEvidence(
  db: Executor, seals: readonly SealRecord[], firstSeq: ReadonlyMap<string, number>, prunedBefore: string | null,
): Promise<Missing[]> {
  const byBatch = new Map(seals.map((s) => [s.batch_id, s]));
  const batches = await rows<BatchRow>(db, sql`SELECT id::text, seal_hash, evidence_records,
      (destroyed + anonymised + children)::int AS gone,
      to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS finished_at
    FROM lethe.batches
    WHERE status = 'done' AND (seal_hash IS NOT NULL OR destroyed + anonymised + children > 0)
      ${prunedBefore === null ? sql`` : sql`AND finished_at >= ${prunedBefore}::timestamptz`}
    ORDER BY finished_at, id`);
  const out: Missing[] = [];
  for (const b of batches) {
    const seal = byBatch.get(b.id);
    const seq = firstSeq.get(b.id) ?? 0;
    if (!seal) {
      const what = b.seal_hash !== null ? `sealed ${b.evidence_records} evidence records` : `destroyed ${b.gone} records`;
      out.push({ seq, reason: `batch ${b.id} (finished ${b.finished_at}) ${what}, but its seal is gone: its evidence was removed` });
    } else if (b.seal_hash !== null && seal.hash !== b.seal_hash) {
      out.push({ seq, reason: `the seal of batch ${b.id} is not the one its batch row names: the seal was replaced` });
    } else if (b.evidence_records !== null && seal.records !== b.evidence_records) {
      out.push({ seq, reason: `the seal of batch ${b.id} covers ${seal.records} records, its batch row says ${b.evidence_records}: the seal was replaced` });
    }
  }
  return out;
}

/** A policy version is the sha256 of the policy text it names: an edited text no longer is. */
export async function alteredPolicyTexts(db: Executor): Promise<Missing[]> {
  const versions = await rows<{ policy_id: string; version: string; source: string }>(db, sql`SELECT policy_id, version, source
    FROM lethe.policy_versions ORDER BY policy_id, version`);
  const out: Missing[] = [];
  for (const v of versions) {
    if (createHash('sha256').update(v.source, 'utf8').digest('hex') === v.version) continue;
    const [first] = await rows<{ seq: string }>(db, sql`SELECT min(seq)::text AS seq FROM lethe.evidence
      WHERE policy_id = ${v.policy_id} AND policy_version = ${v.version}`);
    out.push({ seq: Number(first?.seq ?? 0), reason: `the text kept for policy ${v.policy_id} version ${v.version.slice(0, 12)}… is not the text of that version: it was edited` });
  }
  return out;
}
