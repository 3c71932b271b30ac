// Evidence is itself personal-information processing records (PIPL art. 56): kept at least
// three years, then pruned. A prune removes the oldest whole sealed batches and appends an
// anchor (HMAC-chained) that the remaining seal chain starts from, so verify still checks
// everything that remains. The database function refuses anything younger than three years.
// The register lines of what goes are kept first, permanently (register-archive.ts).
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import { hmacHex } from '../crypto/keys.ts';
import { MIN_EVIDENCE_RETAIN_DAYS, approximateDays, subtractDuration, type Duration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import { GENESIS } from './hash.ts';
import { archivePrunedRegister } from './register-archive.ts';


export interface AnchorRow {
  seq: number;
  through_seal_seq: number;
  anchor_hash: string;
  seals_pruned: number;
  records_pruned: number;
  cutoff: string;
  actor: string;
  prev_hash: string;
  hash: string;
}

export function anchorHash(key: Buffer, a: Omit<AnchorRow, 'seq' | 'hash'>): string {
  return hmacHex(key, [a.prev_hash, a.through_seal_seq, a.anchor_hash, a.seals_pruned, a.records_pruned, a.cutoff, a.actor].join('|'));
}

const ANCHOR_COLUMNS = sql`seq::int AS seq, through_seal_seq::int AS through_seal_seq, anchor_hash, seals_pruned, records_pruned,
  to_char(cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff, actor, prev_hash, hash`;

export async function latestAnchor(db: Executor): Promise<AnchorRow | undefined> {
  return one<AnchorRow & Record<string, unknown>>(db, sql`SELECT ${ANCHOR_COLUMNS} FROM lethe.evidence_anchors ORDER BY seq DESC LIMIT 1`);
}

/** Every prune anchor, in order: few (one per prune), exported with the evidence. */
export async function allAnchors(db: Executor): Promise<AnchorRow[]> {
  return rows<AnchorRow & Record<string, unknown>>(db, sql`SELECT ${ANCHOR_COLUMNS} FROM lethe.evidence_anchors ORDER BY seq`);
}

/**
 * Checks the anchors' own chain; returns the hash the seal chain must start from, and the last
 * prune's cutoff (evidence older than it may have been pruned).
 */
export async function checkAnchors(db: Executor, key: Buffer): Promise<{ start: string; problem: string | null; cutoff: string | null }> {
  const anchors = await allAnchors(db);
  return { ...checkAnchorChain(key, anchors), cutoff: anchors.at(-1)?.cutoff ?? null };
}

/** The same on anchors already read (an export file's). */
export function checkAnchorChain(key: Buffer, anchors: readonly AnchorRow[]): { start: string; problem: string | null } {
  let prev = GENESIS;
  let start = GENESIS;
  for (const a of anchors) {
    if (a.prev_hash !== prev || anchorHash(key, a) !== a.hash) {
      return { start, problem: `prune anchor ${a.seq} was altered, removed or inserted` };
    }
    prev = a.hash;
    start = a.anchor_hash;
  }
  return { start, problem: null };
}

export function assertEvidenceRetain(retain: Duration): void {
  if (approximateDays(retain) < MIN_EVIDENCE_RETAIN_DAYS) {
    throw new ConfigError(`LETHE_EVIDENCE_RETAIN ${retain.iso} is shorter than 3 years: PIPL art. 56 keeps processing records at least 3 years`);
  }
}

export interface PruneResult {
  seals: number;
  records: number;
  cutoff: string;
  throughSealSeq: number | null;
}

/** Prunes whole batches sealed before now − retain (≥ 3 years). `dryRun` only counts. */
export async function pruneEvidence(ctx: EngineContext, retain: Duration, actor: string, dryRun = false): Promise<PruneResult> {
  assertEvidenceRetain(retain);
  const cutoffDate = subtractDuration(ctx.clock.now(), retain);
  return ctx.db.transaction(async (tx) => {
    // No seal is appended while the chain's head moves.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCKS.evidenceChain})`);
    const cut = await one<{ seq: string; hash: string; cutoff: string }>(tx, sql`SELECT s.seq::text AS seq, s.hash,
        to_char(${cutoffDate}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff
      FROM lethe.evidence_seals s
      WHERE s.seq < coalesce((SELECT min(seq) FROM lethe.evidence_seals WHERE sealed_at >= ${cutoffDate}), 9223372036854775807)
      ORDER BY s.seq DESC LIMIT 1`);
    if (!cut) return { seals: 0, records: 0, cutoff: cutoffDate.toISOString(), throughSealSeq: null };
    const counts = (await one<{ seals: number; records: number }>(tx, sql`SELECT count(DISTINCT s.seq)::int AS seals, count(e.seq)::int AS records
      FROM lethe.evidence_seals s LEFT JOIN lethe.evidence e ON e.batch_id = s.batch_id WHERE s.seq <= ${cut.seq}::bigint`))!;
    const result = { seals: counts.seals, records: counts.records, cutoff: cut.cutoff, throughSealSeq: Number(cut.seq) };
    if (dryRun) return result;
    await archivePrunedRegister(tx, ctx.keys, Number(cut.seq), actor, ctx.clock.now());
    const prev = (await latestAnchor(tx))?.hash ?? GENESIS;
    const anchor = { prev_hash: prev, through_seal_seq: Number(cut.seq), anchor_hash: cut.hash, seals_pruned: counts.seals, records_pruned: counts.records, cutoff: cut.cutoff, actor };
    await tx.execute(sql`SELECT lethe.prune_evidence(${cut.seq}::bigint, ${cut.hash}, ${cut.cutoff}::timestamptz, ${actor}, ${prev},
      ${anchorHash(ctx.keys.evidenceKey, anchor)}, ${counts.seals}::int, ${counts.records}::int)`);
    return result;
  });
}
