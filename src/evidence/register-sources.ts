// Where the destruction register's lines come from: the evidence itself (one aggregate query),
// and, for evidence pruned after three years, the permanent register archive (register-archive.ts)
// — the same groups, kept when the records behind them went. Who and when come from lethe.runs,
// or from the archive's copy once a run row is gone; what was owed from lethe.policy_versions.
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { arrayParam, rows } from '../db/sql.ts';
import { readPolicyRule, type PolicyRule } from './policy-rule.ts';

export const PG_ISO = (col: SQL) => sql`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

/** One line's worth of evidence: a run, policy version, trigger, action and table. */
export interface GroupRow extends Record<string, unknown> {
  run_id: string; policy_id: string; policy_version: string; category: string; classification: string;
  trigger: string; action: string; table: string;
  /** Records counted (live and pruned together). */
  n: string;
  /** Of those, records whose per-record evidence was pruned (the archive's count). */
  pruned: string;
  first: string; last: string;
}

export interface Range {
  from?: Date | undefined;
  to?: Date | undefined;
}

export function rangeFilter(range: Range): SQL[] {
  const filter: SQL[] = [];
  if (range.from) filter.push(sql`e.occurred_at >= ${range.from.toISOString()}::timestamptz`);
  if (range.to) filter.push(sql`e.occurred_at < ${range.to.toISOString()}::timestamptz`);
  return filter;
}

const where = (filter: SQL[]) => (filter.length ? sql`WHERE ${sql.join(filter, sql` AND `)}` : sql``);
const GROUP_COLUMNS = sql`run_id, policy_id, policy_version, category, classification, trigger, action, "table"`;

/** Groups of live evidence matching `filter` (on `lethe.evidence e`), pruned count 0. */
export function liveGroups(filter: SQL[], join: SQL = sql``): SQL {
  return sql`SELECT e.run_id::text AS run_id, e.policy_id, e.policy_version, e.category, e.classification, e.trigger, e.action,
      e."table", count(*) AS n, 0::bigint AS pruned, min(e.occurred_at) AS first, max(e.occurred_at) AS last
    FROM lethe.evidence e ${join} ${where(filter)} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`;
}

/**
 * Live and archived groups for [from, to), summed per line. An archived group cannot be split:
 * it is in when its span of occurred_at overlaps the range.
 */
export async function registerGroups(db: Executor, range: Range): Promise<GroupRow[]> {
  const archived: SQL[] = [];
  if (range.from) archived.push(sql`a.last_occurred_at >= ${range.from.toISOString()}::timestamptz`);
  if (range.to) archived.push(sql`a.first_occurred_at < ${range.to.toISOString()}::timestamptz`);
  return rows<GroupRow>(db, sql`SELECT ${GROUP_COLUMNS}, sum(n)::text AS n, sum(pruned)::text AS pruned,
      ${PG_ISO(sql`min(first)`)} AS first, ${PG_ISO(sql`max(last)`)} AS last
    FROM (${liveGroups(rangeFilter(range))}
      UNION ALL
      SELECT a.run_id::text, a.policy_id, a.policy_version, a.category, a.classification, a.trigger, a.action, a."table",
        a.records::bigint, a.records::bigint, a.first_occurred_at, a.last_occurred_at
      FROM lethe.register_archive a ${where(archived)}) g
    GROUP BY ${GROUP_COLUMNS}`);
}

/** Who ran a run and when: what the register states of it. */
export interface RunFacts {
  id: string;
  kind: string | null;
  trigger: string | null;
  status: string | null;
  actor: string | null;
  started_at: string | null;
  finished_at: string | null;
  approved_by: string | null;
  executor: string | null;
  witness: string | null;
}

/**
 * A manual purge's run names its second operator (four eyes) in lethe.purge_requests; a
 * destruction task's run its approver, executor and witness in lethe.destruction_tasks. A run
 * whose row is gone is described by the archive's copy, made when its evidence was pruned.
 */
export async function runFacts(db: Executor, runIds: readonly string[]): Promise<Map<string, RunFacts>> {
  const live = await rows<RunFacts & Record<string, unknown>>(db, sql`
    SELECT r.id::text AS id, r.kind, r.trigger, r.status, r.actor, ${PG_ISO(sql`r.started_at`)} AS started_at,
      ${PG_ISO(sql`r.finished_at`)} AS finished_at, coalesce(p.approved_by, d.approved_by) AS approved_by, d.executor, d.witness
    FROM lethe.runs r LEFT JOIN lethe.purge_requests p ON p.run_id = r.id LEFT JOIN lethe.destruction_tasks d ON d.run_id = r.id
    WHERE r.id = ANY(${arrayParam(runIds)}::uuid[])`);
  const out = new Map(live.map((r) => [r.id, r]));
  const missing = runIds.filter((id) => !out.has(id));
  if (missing.length === 0) return out;
  const archived = await rows<RunFacts & Record<string, unknown>>(db, sql`
    SELECT DISTINCT ON (a.run_id) a.run_id::text AS id, a.run_kind AS kind, a.run_trigger AS trigger, a.run_status AS status,
      CASE WHEN a.run_kind = 'task' THEN NULL ELSE a.executed_by END AS actor,
      ${PG_ISO(sql`a.started_at`)} AS started_at, ${PG_ISO(sql`a.finished_at`)} AS finished_at, a.approved_by,
      CASE WHEN a.run_kind = 'task' THEN a.executed_by END AS executor, a.witnessed_by AS witness
    FROM lethe.register_archive a WHERE a.run_id = ANY(${arrayParam(missing)}::uuid[]) ORDER BY a.run_id, a.seq DESC`);
  for (const r of archived) out.set(r.id, r);
  return out;
}

/** The rule each policy version owed, keyed `policy/version`. */
export async function policyRules(db: Executor, versions: readonly string[]): Promise<Map<string, PolicyRule>> {
  const texts = await rows<{ policy_id: string; version: string; source: string }>(db, sql`
    SELECT policy_id, version, source FROM lethe.policy_versions WHERE version = ANY(${arrayParam(versions)}::text[])`);
  return new Map(texts.map((t) => [`${t.policy_id}/${t.version}`, readPolicyRule(t.source)]));
}
