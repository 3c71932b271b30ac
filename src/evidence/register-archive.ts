// The destruction register outlives the evidence behind it. Evidence is pruned after three years
// (PIPL art. 56 ✔: processing records at least three years); the destruction register of
// accounting archives is kept permanently (会计档案管理办法 ✔). So before a prune removes whole
// batches, their register lines — counts, who, when, under which policy version and basis — are
// copied into lethe.register_archive, in the prune's transaction, HMAC-chained and append-only.
// No record or subject refs are copied: the register says how many, not which.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { hmacHex, type Keys } from '../crypto/keys.ts';
import { GENESIS, canonicalJSON, isoFromPg } from './hash.ts';
import { PG_ISO, liveGroups, policyRules, runFacts } from './register-sources.ts';

export interface ArchiveRow {
  through_seal_seq: number;
  run_id: string;
  run_kind: string | null;
  run_trigger: string | null;
  run_status: string | null;
  started_at: string | null;
  finished_at: string | null;
  executed_by: string | null;
  approved_by: string | null;
  witnessed_by: string | null;
  policy_id: string;
  policy_version: string;
  category: string;
  classification: string;
  trigger: string;
  action: string;
  table: string;
  records: number;
  first_occurred_at: string;
  last_occurred_at: string;
  basis: string[];
  pruned_at: string;
  pruned_by: string;
}

/** A row's hash covers every field but seq, in a fixed order, chained to the row before it. */
export function archiveHash(evidenceKey: Buffer, prevHash: string, r: ArchiveRow): string {
  const payload = canonicalJSON([
    r.through_seal_seq, r.run_id, r.run_kind, r.run_trigger, r.run_status, r.started_at, r.finished_at, r.executed_by,
    r.approved_by, r.witnessed_by, r.policy_id, r.policy_version, r.category, r.classification, r.trigger, r.action,
    r.table, r.records, r.first_occurred_at, r.last_occurred_at, r.basis, r.pruned_at, r.pruned_by,
  ]);
  return hmacHex(evidenceKey, `register:${prevHash}|${payload}`);
}

/** Rows per INSERT: years of hourly runs make many lines. */
const CHUNK = 1000;

/**
 * Copies the register lines of the evidence in batches sealed up to `throughSealSeq` into the
 * archive. Call inside the prune's transaction, holding the evidence chain lock. Returns the
 * number of lines written.
 */
export async function archivePrunedRegister(tx: Executor, keys: Keys, throughSealSeq: number, actor: string, at: Date): Promise<number> {
  const groups = await rows<{ run_id: string; policy_id: string; policy_version: string; category: string; classification: string;
    trigger: string; action: string; table: string; n: string; first: string; last: string }>(tx, sql`SELECT run_id, policy_id,
      policy_version, category, classification, trigger, action, "table", n::text AS n, ${PG_ISO(sql`first`)} AS first, ${PG_ISO(sql`last`)} AS last
    FROM (${liveGroups([sql`s.seq <= ${throughSealSeq}::bigint`], sql`JOIN lethe.evidence_seals s ON s.batch_id = e.batch_id`)}) g
    ORDER BY first, run_id, policy_id, trigger, action, "table"`);
  if (groups.length === 0) return 0;
  const runs = await runFacts(tx, [...new Set(groups.map((g) => g.run_id))]);
  const rules = await policyRules(tx, [...new Set(groups.map((g) => g.policy_version))]);
  let prev = (await rows<{ hash: string }>(tx, sql`SELECT hash FROM lethe.register_archive ORDER BY seq DESC LIMIT 1`))[0]?.hash ?? GENESIS;
  const prunedAt = at.toISOString();
  const archived = groups.map((g): ArchiveRow & { prev_hash: string; hash: string } => {
    const r = runs.get(g.run_id);
    const row: ArchiveRow = {
      through_seal_seq: throughSealSeq, run_id: g.run_id, run_kind: r?.kind ?? null, run_trigger: r?.trigger ?? null,
      run_status: r?.status ?? null, started_at: r?.started_at ? isoFromPg(r.started_at) : null,
      finished_at: r?.finished_at ? isoFromPg(r.finished_at) : null,
      executed_by: r?.kind === 'task' ? r.executor : r?.actor ?? null, approved_by: r?.approved_by ?? null, witnessed_by: r?.witness ?? null,
      policy_id: g.policy_id, policy_version: g.policy_version, category: g.category, classification: g.classification,
      trigger: g.trigger, action: g.action, table: g.table, records: Number(g.n),
      first_occurred_at: isoFromPg(g.first), last_occurred_at: isoFromPg(g.last),
      basis: rules.get(`${g.policy_id}/${g.policy_version}`)?.basis ?? [], pruned_at: prunedAt, pruned_by: actor,
    };
    const hash = archiveHash(keys.evidenceKey, prev, row);
    const out = { ...row, prev_hash: prev, hash };
    prev = hash;
    return out;
  });
  for (let i = 0; i < archived.length; i += CHUNK) {
    // pos: identities must follow the chain's order.
    const chunk = archived.slice(i, i + CHUNK).map((r, j) => ({ ...r, pos: i + j }));
    await tx.execute(sql`INSERT INTO lethe.register_archive (through_seal_seq, run_id, run_kind, run_trigger, run_status, started_at,
        finished_at, executed_by, approved_by, witnessed_by, policy_id, policy_version, category, classification, trigger, action,
        "table", records, first_occurred_at, last_occurred_at, basis, pruned_at, pruned_by, prev_hash, hash)
      SELECT u.through_seal_seq, u.run_id::uuid, u.run_kind, u.run_trigger, u.run_status, u.started_at::timestamptz, u.finished_at::timestamptz,
        u.executed_by, u.approved_by, u.witnessed_by, u.policy_id, u.policy_version, u.category, u.classification, u.trigger, u.action,
        u."table", u.records, u.first_occurred_at::timestamptz, u.last_occurred_at::timestamptz,
        ARRAY(SELECT jsonb_array_elements_text(u.basis)), u.pruned_at::timestamptz, u.pruned_by, u.prev_hash, u.hash
      FROM jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) AS u(through_seal_seq bigint, run_id text, run_kind text, run_trigger text,
        run_status text, started_at text, finished_at text, executed_by text, approved_by text, witnessed_by text, policy_id text,
        policy_version text, category text, classification text, trigger text, action text, "table" text, records int,
        first_occurred_at text, last_occurred_at text, basis jsonb, pruned_at text, pruned_by text, prev_hash text, hash text, pos int)
      ORDER BY u.pos`);
  }
  return archived.length;
}

/** The archive's chain, read back in order: the first row that was altered, removed or inserted, or null. */
export async function checkRegisterArchive(db: Executor, evidenceKey: Buffer, pageRows = 5000): Promise<string | null> {
  let prev = GENESIS;
  let after = 0;
  for (;;) {
    const page = await archivePage(db, after, pageRows);
    for (const r of page) {
      const row = archiveRowOf(r);
      if (r.prev_hash !== prev || archiveHash(evidenceKey, prev, row) !== r.hash) {
        return `register archive row ${String(r.seq)} was altered, removed or inserted`;
      }
      prev = String(r.hash);
    }
    if (page.length < pageRows) return null;
    after = Number(page.at(-1)!.seq);
  }
}

async function archivePage(db: Executor, after: number, limit: number): Promise<Record<string, unknown>[]> {
  return rows<Record<string, unknown>>(db, sql`SELECT seq::text AS seq, through_seal_seq::text AS through_seal_seq,
      run_id::text AS run_id, run_kind, run_trigger, run_status, ${PG_ISO(sql`started_at`)} AS started_at, ${PG_ISO(sql`finished_at`)} AS finished_at,
      executed_by, approved_by, witnessed_by, policy_id, policy_version, category, classification, trigger, action, "table", records,
      ${PG_ISO(sql`first_occurred_at`)} AS first_occurred_at, ${PG_ISO(sql`last_occurred_at`)} AS last_occurred_at, basis,
      ${PG_ISO(sql`pruned_at`)} AS pruned_at, pruned_by, prev_hash, hash
    FROM lethe.register_archive WHERE seq > ${after}::bigint ORDER BY seq LIMIT ${limit}`);
}

const iso = (v: unknown) => (v === null || v === undefined ? null : isoFromPg(String(v)));

function archiveRowOf(r: Record<string, unknown>): ArchiveRow {
  return {
    through_seal_seq: Number(r.through_seal_seq), run_id: String(r.run_id), run_kind: r.run_kind as string | null,
    run_trigger: r.run_trigger as string | null, run_status: r.run_status as string | null, started_at: iso(r.started_at),
    finished_at: iso(r.finished_at), executed_by: r.executed_by as string | null, approved_by: r.approved_by as string | null,
    witnessed_by: r.witnessed_by as string | null, policy_id: String(r.policy_id), policy_version: String(r.policy_version),
    category: String(r.category), classification: String(r.classification), trigger: String(r.trigger), action: String(r.action),
    table: String(r.table), records: Number(r.records), first_occurred_at: iso(r.first_occurred_at)!, last_occurred_at: iso(r.last_occurred_at)!,
    basis: r.basis as string[], pruned_at: iso(r.pruned_at)!, pruned_by: String(r.pruned_by),
  };
}
