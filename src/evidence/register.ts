// The destruction register (会计档案管理办法 art. 17): per run, who executed and approved it, and
// per policy what went, how many, the retention owed and served, when, how and under which law.
// Built from evidence and the permanent archive of pruned evidence (register-sources.ts: one
// aggregate query, a line per run, policy, trigger, action and table), lethe.runs (who, when)
// and lethe.policy_versions (what the rule owed).
import type { Executor } from '../db/connect.ts';
import { isoFromPg } from './hash.ts';
import { servedByRule, type PolicyRule } from './policy-rule.ts';
import { policyRules, registerGroups, runFacts, type GroupRow, type Range } from './register-sources.ts';

export { rangeFilter, type Range } from './register-sources.ts';

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
  /**
   * Of records and child rows, those whose per-record evidence was pruned after three years: the
   * line stays (会计档案管理办法: the destruction register is kept permanently), the rows behind it went.
   */
  pruned: number;
  /** The policy version's legal basis. */
  basis: string[];
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
  /** Records destroyed or anonymised (lines of action delete, anonymise, destroyed_manually). */
  records: number;
  child_rows: number;
  /**
   * Evidence of the run's other steps, which are not records destroyed: deferrals under a
   * statutory floor, partner notices and confirmations, destruction-task steps, files deleted
   * from object storage, post-destruction check failures. Each line says which (`action`).
   */
  other_records: number;
  policies: RegisterLine[];
}

/** The actions that destroy or anonymise a record: what the register counts as records. */
export const DESTRUCTION_ACTIONS: ReadonlySet<string> = new Set(['delete', 'anonymise', 'destroyed_manually']);

/** The register for evidence with occurred_at in [from, to), runs in start order. */
export async function buildRegister(db: Executor, range: Range): Promise<RegisterRun[]> {
  const groups = await registerGroups(db, range);
  if (groups.length === 0) return [];
  const runIds = [...new Set(groups.map((g) => g.run_id))];
  const runs = await runFacts(db, runIds);
  const rules = await policyRules(db, [...new Set(groups.map((g) => g.policy_version))]);

  const out = new Map<string, RegisterRun>();
  for (const runId of runIds) {
    const r = runs.get(runId);
    out.set(runId, {
      run_id: runId, kind: r?.kind ?? null, trigger: r?.trigger ?? null, status: r?.status ?? null,
      started_at: r?.started_at ? isoFromPg(r.started_at) : null, finished_at: r?.finished_at ? isoFromPg(r.finished_at) : null,
      executed_by: r?.kind === 'task' ? r.executor ?? null : r?.actor ?? null, approved_by: r?.approved_by ?? null,
      ...(r?.kind === 'task' ? { witnessed_by: r.witness ?? null } : {}),
      records: 0, child_rows: 0, other_records: 0, policies: [],
    });
  }
  // Child rows fold into their record line (same run, policy, version, trigger, the policy's action).
  const lines = new Map<string, RegisterLine>();
  const children: GroupRow[] = [];
  for (const g of groups) {
    const rule = rules.get(`${g.policy_id}/${g.policy_version}`) ?? null;
    // Files in object storage (`object_*`) are lines of their own, counted in files, whichever table pointed at them.
    if (rule?.table && g.table !== rule.table && !g.action.startsWith('partner_') && !g.action.startsWith('object_')) {
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
      line = { ...lineOf({ ...g, n: '0', pruned: '0', table: rule.table!, action: rule.action ?? g.action }, rule) };
      lines.set(key, line);
      out.get(g.run_id)!.policies.push(line);
    }
    line.child_rows += Number(g.n);
    line.pruned += Number(g.pruned);
    if (isoFromPg(g.first) < line.first_occurred_at) line.first_occurred_at = isoFromPg(g.first);
    if (isoFromPg(g.last) > line.last_occurred_at) line.last_occurred_at = isoFromPg(g.last);
  }
  const result = [...out.values()];
  for (const run of result) {
    run.policies.sort((a, b) => a.policy_id.localeCompare(b.policy_id) || a.action.localeCompare(b.action) || a.trigger.localeCompare(b.trigger));
    run.records = run.policies.filter((l) => DESTRUCTION_ACTIONS.has(l.action)).reduce((s, l) => s + l.records, 0);
    run.child_rows = run.policies.reduce((s, l) => s + l.child_rows, 0);
    run.other_records = run.policies.filter((l) => !DESTRUCTION_ACTIONS.has(l.action)).reduce((s, l) => s + l.records, 0);
  }
  const start = (r: RegisterRun) => r.started_at ?? r.policies[0]!.first_occurred_at;
  return result.sort((a, b) => start(a).localeCompare(start(b)) || a.run_id.localeCompare(b.run_id));
}

function lineOf(g: GroupRow, rule: PolicyRule | null): RegisterLine {
  const last = isoFromPg(g.last);
  const served = servedByRule(rule, g.trigger, g.action, last);
  return {
    policy_id: g.policy_id, policy_version: g.policy_version, category: g.category, classification: g.classification,
    trigger: g.trigger, action: g.action, table: g.table, records: Number(g.n), child_rows: 0, pruned: Number(g.pruned),
    basis: rule?.basis ?? [],
    retain_owed: rule?.retain ?? null, minimum_owed: rule?.minimum ?? null, minimum_kind: rule?.minimumKind ?? null,
    de_identification: g.action === 'anonymise' ? rule?.deidentification ?? null : null, clock: rule?.clock ?? null,
    served_at_least_per_rule: served.atLeast, clock_started_on_or_before: served.clockStartedBy,
    first_occurred_at: isoFromPg(g.first), last_occurred_at: last,
  };
}
