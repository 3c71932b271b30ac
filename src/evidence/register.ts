// The destruction register (会计档案管理办法 art. 17, REGULATIONS.md): per run, who executed and
// approved it, and per policy what went, how many, the retention owed and served, when and how.
// Built from evidence (one aggregate query: a line per run, policy, trigger, action and table),
// lethe.runs (who, when) and lethe.policy_versions (what the rule owed).
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { arrayParam, rows } from '../db/sql.ts';
import { isoFromPg } from './hash.ts';
import { readPolicyRule, servedByRule, type PolicyRule } from './policy-rule.ts';

export interface RegisterLine {
  policy_id: string;
  policy_version: string;
  category: string;
  classification: string;
  trigger: string;
  /** How: delete, anonymise, deferred (kept under a statutory floor), partner_*. */
  action: string;
  table: string;
  records: number;
  /** Rows of declared child tables destroyed with the records. */
  child_rows: number;
  retain_owed: string | null;
  minimum_owed: string | null;
  /** Who set the floor: `law` holds against an erasure request, `regulator` and `analogy` yield to it. */
  minimum_kind: string | null;
  /** For anonymise lines: `pseudonymised` or `columns-removed`; never anonymous (PIPL art. 73(4)). */
  de_identification: string | null;
  clock: string | null;
  served_at_least_per_rule: string | null;
  clock_started_on_or_before: string | null;
  first_occurred_at: string;
  last_occurred_at: string;
}

export interface RegisterRun {
  run_id: string;
  kind: string | null;
  trigger: string | null;
  status: string | null;
  started_at: string | null;
  finished_at: string | null;
  executed_by: string | null;
  /** Manual purges with four-eyes approval will fill it; scheduled runs have no approver. */
  approved_by: string | null;
  /**
   * Paper and media destruction tasks (run kind `task`): the witness who supervised the
   * destruction (监销人) and confirmed it; `executed_by` is then the person who destroyed the items.
   */
  witnessed_by?: string | null;
  records: number;
  child_rows: number;
  policies: RegisterLine[];
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

const PG_ISO = (col: SQL) => sql`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

type GroupRow = {
  run_id: string; policy_id: string; policy_version: string; category: string; classification: string;
  trigger: string; action: string; table: string; n: string; first: string; last: string;
};

/** The register for evidence with occurred_at in [from, to), runs in start order. */
export async function buildRegister(db: Executor, range: Range): Promise<RegisterRun[]> {
  const filter = rangeFilter(range);
  const groups = await rows<GroupRow>(db, sql`SELECT e.run_id::text AS run_id, e.policy_id, e.policy_version, e.category,
      e.classification, e.trigger, e.action, e."table", count(*)::text AS n,
      ${PG_ISO(sql`min(e.occurred_at)`)} AS first, ${PG_ISO(sql`max(e.occurred_at)`)} AS last
    FROM lethe.evidence e ${filter.length ? sql`WHERE ${sql.join(filter, sql` AND `)}` : sql``}
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`);
  if (groups.length === 0) return [];
  const runIds = [...new Set(groups.map((g) => g.run_id))];
  // A manual purge's run names its second operator (four eyes) in lethe.purge_requests.
  // A destruction task's run names its approver, its executor and its witness in lethe.destruction_tasks.
  const runRows = await rows<{ id: string; kind: string; trigger: string; status: string; actor: string; started_at: string; finished_at: string | null;
    approved_by: string | null; executor: string | null; witness: string | null }>(db, sql`
    SELECT r.id::text AS id, r.kind, r.trigger, r.status, r.actor, ${PG_ISO(sql`r.started_at`)} AS started_at,
      ${PG_ISO(sql`r.finished_at`)} AS finished_at, coalesce(p.approved_by, d.approved_by) AS approved_by, d.executor, d.witness
    FROM lethe.runs r LEFT JOIN lethe.purge_requests p ON p.run_id = r.id LEFT JOIN lethe.destruction_tasks d ON d.run_id = r.id
    WHERE r.id = ANY(${arrayParam(runIds)}::uuid[])`);
  const runs = new Map(runRows.map((r) => [r.id, r]));
  const versions = [...new Set(groups.map((g) => g.policy_version))];
  const texts = await rows<{ policy_id: string; version: string; source: string }>(db, sql`
    SELECT policy_id, version, source FROM lethe.policy_versions WHERE version = ANY(${arrayParam(versions)}::text[])`);
  const rules = new Map<string, PolicyRule>(texts.map((t) => [`${t.policy_id}/${t.version}`, readPolicyRule(t.source)]));

  const out = new Map<string, RegisterRun>();
  for (const runId of runIds) {
    const r = runs.get(runId);
    out.set(runId, {
      run_id: runId, kind: r?.kind ?? null, trigger: r?.trigger ?? null, status: r?.status ?? null,
      started_at: r ? isoFromPg(r.started_at) : null, finished_at: r?.finished_at ? isoFromPg(r.finished_at) : null,
      executed_by: r?.kind === 'task' ? r.executor ?? null : r?.actor ?? null, approved_by: r?.approved_by ?? null,
      ...(r?.kind === 'task' ? { witnessed_by: r.witness ?? null } : {}),
      records: 0, child_rows: 0, policies: [],
    });
  }
  // Child rows fold into their record line (same run, policy, version, trigger, the policy's action).
  const lines = new Map<string, RegisterLine>();
  const children: GroupRow[] = [];
  for (const g of groups) {
    const rule = rules.get(`${g.policy_id}/${g.policy_version}`) ?? null;
    if (rule?.table && g.table !== rule.table && !g.action.startsWith('partner_')) {
      children.push(g);
      continue;
    }
    const line = lineOf(g, rule);
    lines.set(`${g.run_id}|${g.policy_id}|${g.policy_version}|${g.trigger}|${g.action}`, line);
    out.get(g.run_id)!.policies.push(line);
  }
  for (const g of children) {
    const rule = rules.get(`${g.policy_id}/${g.policy_version}`)!;
    const key = `${g.run_id}|${g.policy_id}|${g.policy_version}|${g.trigger}|${rule.action ?? g.action}`;
    let line = lines.get(key);
    if (!line) {
      // Every parent was already gone: a line of children only.
      line = { ...lineOf({ ...g, n: '0', table: rule.table!, action: rule.action ?? g.action }, rule) };
      lines.set(key, line);
      out.get(g.run_id)!.policies.push(line);
    }
    line.child_rows += Number(g.n);
    if (isoFromPg(g.first) < line.first_occurred_at) line.first_occurred_at = isoFromPg(g.first);
    if (isoFromPg(g.last) > line.last_occurred_at) line.last_occurred_at = isoFromPg(g.last);
  }
  const result = [...out.values()];
  for (const run of result) {
    run.policies.sort((a, b) => a.policy_id.localeCompare(b.policy_id) || a.action.localeCompare(b.action) || a.trigger.localeCompare(b.trigger));
    run.records = run.policies.reduce((s, l) => s + l.records, 0);
    run.child_rows = run.policies.reduce((s, l) => s + l.child_rows, 0);
  }
  const start = (r: RegisterRun) => r.started_at ?? r.policies[0]!.first_occurred_at;
  return result.sort((a, b) => start(a).localeCompare(start(b)) || a.run_id.localeCompare(b.run_id));
}

function lineOf(g: GroupRow, rule: PolicyRule | null): RegisterLine {
  const last = isoFromPg(g.last);
  const served = servedByRule(rule, g.trigger, g.action, last);
  return {
    policy_id: g.policy_id, policy_version: g.policy_version, category: g.category, classification: g.classification,
    trigger: g.trigger, action: g.action, table: g.table, records: Number(g.n), child_rows: 0,
    retain_owed: rule?.retain ?? null, minimum_owed: rule?.minimum ?? null, minimum_kind: rule?.minimumKind ?? null,
    de_identification: g.action === 'anonymise' ? rule?.deidentification ?? null : null, clock: rule?.clock ?? null,
    served_at_least_per_rule: served.atLeast, clock_started_on_or_before: served.clockStartedBy,
    first_occurred_at: isoFromPg(g.first), last_occurred_at: last,
  };
}
