// Row coverage (`policies coverage --rows`): in every table some policy reads, the rows no
// policy governs. A row is governed when a policy's source is its table and its `where` matches
// the row, or when it is a declared child of a row some policy governs. The CBIRC's 2022 list
// (银保监办发〔2022〕80号 ◐) faults data kept with no retention rule at all: a policy that covers
// `status = rejected` leaves the approved, withdrawn and pending rows of the same table to no one,
// which the column audit (coverage.ts) cannot see.
//
// One grouped scan per table, whatever the number of policies: every policy's `where` and every
// parent's subquery go into one WHERE NOT (…), grouped by the columns those conditions name, so
// the report says which values are ungoverned (`status = approved: 1,834`). A table a policy
// governs whole (no `where`) is not read at all.
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { qualified, rows } from '../db/sql.ts';
import { conditionsFilter, sourceTable, whereFilter } from '../destroy/predicates.ts';
import { qualifiedName, type Child, type Policy, type TableRef, type WhereCondition } from './types.ts';
import type { AllowEntry } from './coverage-allow.ts';

/** Groups of values shown per table; the rest are summed into `more_groups`. */
export const MAX_GROUPS = 50;

export interface RowGroup {
  /** Breakdown column (or `parent.column`) → its value as text; null for NULL. */
  values: Record<string, string | null>;
  rows: number;
}

export interface TableRows {
  table: string;
  /** Policies whose source, children or consent table this is. */
  read_by: string[];
  /** Rows no policy governs and no allow-list entry allows. */
  ungoverned: number;
  by: RowGroup[];
  /** Ungoverned rows in groups beyond the first MAX_GROUPS. */
  more_groups: number;
}

export interface AllowedRows {
  table: string;
  where: string[];
  rows: number;
  reason: string;
  allowed_at: string;
}

export interface RowCoverage {
  tables: TableRows[];
  allowed: AllowedRows[];
}

interface Breakdown {
  label: string;
  expr: SQL;
}

interface Audited extends TableRef {
  readers: Set<string>;
  /** Policies whose source is this table: their `where` governs its rows. */
  sources: Policy[];
  /** Declared children: (policy, child) pairs whose parent rows govern these rows. */
  children: { p: Policy; child: Child }[];
  /** Consent tables carry no `where`: their rows are broken down by purpose. */
  purposeColumns: Set<string>;
}

function audited(policies: readonly Policy[]): Audited[] {
  const out = new Map<string, Audited>();
  const get = (t: TableRef, reader: string) => {
    const name = qualifiedName(t);
    let a = out.get(name);
    if (!a) out.set(name, (a = { schema: t.schema, table: t.table, readers: new Set(), sources: [], children: [], purposeColumns: new Set() }));
    a.readers.add(reader);
    return a;
  };
  for (const p of policies) {
    get(p.source, p.id).sources.push(p);
    for (const child of p.children) get(child, p.id).children.push({ p, child });
    if (p.trigger.kind === 'consent_withdrawn') get(p.trigger.consent, p.id).purposeColumns.add(p.trigger.consent.purposeColumn);
  }
  return [...out.values()].sort((a, b) => qualifiedName(a).localeCompare(qualifiedName(b)));
}

const col = (alias: string, name: string) => sql`${sql.identifier(alias)}.${sql.identifier(name)}`;

/** How a row's value of a `where` column is shown: is_null conditions show nullness, not the value. */
function breakdownOf(alias: string, prefix: string, where: readonly WhereCondition[]): Breakdown[] {
  return where.map((w) => w.op === 'is_null'
    ? { label: `${prefix}${w.column} is null`, expr: sql`(${col(alias, w.column)} IS NULL)::text` }
    : { label: `${prefix}${w.column}`, expr: sql`${col(alias, w.column)}::text` });
}

/** The scan of one table: its governing predicate, the allow classes, the breakdown and the joins it needs. */
function scanOf(a: Audited, allow: readonly AllowEntry[]): { query: SQL; labels: string[] } {
  const governed: SQL[] = a.sources.map((p) => sql`coalesce((${whereFilter(p)}), false)`);
  const joins: SQL[] = [];
  const breakdown: Breakdown[] = a.sources.flatMap((p) => breakdownOf('t', '', p.source.where));
  for (const c of a.purposeColumns) breakdown.push({ label: c, expr: sql`${col('t', c)}::text` });
  a.children.forEach(({ p, child }, i) => {
    // Inside the subquery `t` is the parent (the predicates' alias): the outer row is out of reach there.
    governed.push(sql`coalesce(${col('t', child.foreignKey)}::text IN (SELECT ${col('t', p.source.key)}::text FROM ${sourceTable(p)} t WHERE ${whereFilter(p)}), false)`);
    const alias = `p${i}`;
    joins.push(sql`LEFT JOIN ${qualified(p.source.schema, p.source.table)} ${sql.identifier(alias)} ON ${col(alias, p.source.key)}::text = ${col('t', child.foreignKey)}::text`);
    const parent = p.source.schema === 'public' ? p.source.table : qualifiedName(p.source);
    breakdown.push({ label: `no ${parent} row`, expr: sql`CASE WHEN ${col(alias, p.source.key)} IS NULL THEN 'true' END` });
    breakdown.push(...breakdownOf(alias, `${parent}.`, p.source.where));
  });
  const labels = new Set<string>();
  const shown = breakdown.filter((b) => !labels.has(b.label) && labels.add(b.label));
  const classes = allow.map((e, i) => sql`WHEN coalesce((${conditionsFilter(e.where ?? [])}), false) THEN ${i + 1}`);
  const cls = classes.length === 0 ? sql`0` : sql`CASE ${sql.join(classes, sql` `)} ELSE 0 END`;
  const groups = shown.map((b, i) => sql`${b.expr} AS ${sql.identifier(`g${i}`)}`);
  const query = sql`SELECT ${sql.join([...groups, sql`${cls} AS cls`, sql`count(*)::text AS n`], sql`, `)}
    FROM ${qualified(a.schema, a.table)} t ${sql.join(joins, sql` `)}
    WHERE NOT (${governed.length === 0 ? sql`false` : sql.join(governed, sql` OR `)})
    GROUP BY ${sql.join([...shown.map((_, i) => sql.raw(String(i + 1))), sql.raw(String(shown.length + 1))], sql`, `)}
    ORDER BY count(*) DESC`;
  return { query, labels: shown.map((b) => b.label) };
}

function describeWhere(where: readonly WhereCondition[]): string[] {
  return where.map((w) => {
    switch (w.op) {
      case 'eq': return `${w.column} = ${String(w.value)}`;
      case 'in': return `${w.column} in (${w.values.map(String).join(', ')})`;
      case 'not': return `${w.column} <> ${String(w.value)}`;
      case 'is_null': return `${w.column} is ${w.value ? '' : 'not '}null`;
    }
  });
}

/** Counts, per table a policy reads, the rows no policy governs, minus the allow-list's rows. */
export async function auditRows(db: Executor, policies: readonly Policy[], allow: readonly AllowEntry[]): Promise<RowCoverage> {
  const report: RowCoverage = { tables: [], allowed: [] };
  const at = (e: AllowEntry) => `${e.at.file}:${e.at.line}:${e.at.col}`;
  for (const a of audited(policies)) {
    const name = qualifiedName(a);
    const entry = { table: name, read_by: [...a.readers].sort(), ungoverned: 0, by: [] as RowGroup[], more_groups: 0 };
    report.tables.push(entry);
    // Governed whole by a policy without `where`: nothing to read.
    if (a.sources.some((p) => p.source.where.length === 0)) continue;
    const mine = allow.filter((e) => `${e.schema}.${e.table}` === name && e.column === undefined);
    const whole = mine.find((e) => e.where === undefined);
    const rowEntries = whole ? [whole] : mine;
    const counted = new Map<number, number>();
    const scan = scanOf(a, rowEntries);
    for (const r of await rows<Record<string, string | null>>(db, scan.query)) {
      const n = Number(r.n);
      const cls = Number(r.cls);
      if (cls > 0) {
        counted.set(cls, (counted.get(cls) ?? 0) + n);
        continue;
      }
      entry.ungoverned += n;
      if (entry.by.length >= MAX_GROUPS) {
        entry.more_groups += n;
        continue;
      }
      const values: Record<string, string | null> = {};
      scan.labels.forEach((label, i) => { values[label] = r[`g${i}`] ?? null; });
      // A child's "no parent row" marker shows only when it applies, and then the parent's columns do not.
      for (const label of scan.labels.filter((l) => l.startsWith('no '))) {
        if (values[label] === null) delete values[label];
        else for (const k of Object.keys(values)) if (k.startsWith(`${label.slice(3, -4)}.`)) delete values[k];
      }
      entry.by.push({ values, rows: n });
    }
    for (const [cls, n] of counted) {
      const e = rowEntries[cls - 1]!;
      report.allowed.push({ table: name, where: describeWhere(e.where ?? []), rows: n, reason: e.reason, allowed_at: at(e) });
    }
  }
  return report;
}

/** `status = approved` · `settled_at is null` · `no loan_applications row`: a group as an operator reads it. */
export function describeGroup(g: RowGroup): string {
  const parts = Object.entries(g.values).map(([label, v]) => {
    if (label.startsWith('no ')) return label;
    if (label.endsWith(' is null')) return v === 'true' ? label : label.replace(/ is null$/, ' is not null');
    return v === null ? `${label} is null` : `${label} = ${v}`;
  });
  return parts.length === 0 ? 'every row' : parts.join(', ');
}
