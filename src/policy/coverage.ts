// Which personal data no policy governs. Reads the whole catalog (every schema but lethe's own
// and PostgreSQL's), finds columns that likely hold personal information — by name or comment
// (coverage-patterns.ts) or because they point at a person (a foreign key to a table a policy
// treats as its subjects) — and reports those no policy deletes or anonymises; and tables whose
// foreign keys point at a table a policy deletes from without being declared as its `children`.
// Coverage is by table and column, not by row: a policy's `where` (only rejected applications)
// leaves the other rows to other policies, which this audit cannot see.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { PolicyProblem } from '../errors.ts';
import { qualifiedName, type Policy } from './types.ts';
import { personalKinds } from './coverage-patterns.ts';
import { allowMatches, type AllowEntry } from './coverage-allow.ts';

export interface CatalogColumn { name: string; baseType: string; category: string; comment: string | null }
export interface CatalogTable { schema: string; table: string; comment: string | null; columns: CatalogColumn[] }
export type OnDelete = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';
export interface ForeignKey { table: string; columns: string[]; references: string; onDelete: OnDelete }
export interface DatabaseCatalog { tables: Map<string, CatalogTable>; foreignKeys: ForeignKey[] }

export interface UncoveredColumn {
  table: string;
  column: string;
  kinds: string[];
  reasons: string[];
  /** Policies that anonymise other columns of this table, but not this one. */
  anonymised_by: string[];
}

/** What happens to an undeclared child's rows when the policy deletes their parent. */
export type ChildEffect = 'blocks_delete' | 'deleted_without_evidence' | 'outlives_record';
export interface UndeclaredChild {
  policy: string;
  table: string;
  column: string;
  references: string;
  on_delete: OnDelete;
  effect: ChildEffect;
}

export interface AllowedFinding {
  kind: 'uncovered' | 'undeclared_child';
  table: string;
  column: string;
  policy: string | null;
  reason: string;
  /** `file:line:col` of the allow-list entry. */
  allowed_at: string;
}

export interface CoverageReport {
  uncovered: UncoveredColumn[];
  undeclared_children: UndeclaredChild[];
  allowed: AllowedFinding[];
}

// lethe's own tables and PostgreSQL's are no business data.
const SKIP_SCHEMAS = sql`n.nspname NOT IN ('lethe', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const ON_DELETE: Record<string, OnDelete> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

export async function readDatabaseCatalog(db: Executor): Promise<DatabaseCatalog> {
  const cols = await rows<{ schema: string; table: string; table_comment: string | null; column: string; base_type: string;
    category: string; comment: string | null }>(db, sql`
    SELECT n.nspname AS schema, c.relname AS table, obj_description(c.oid, 'pg_class') AS table_comment,
           a.attname AS column, bt.typname AS base_type, bt.typcategory::text AS category,
           col_description(c.oid, a.attnum) AS comment
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
     WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND ${SKIP_SCHEMAS}
     ORDER BY n.nspname, c.relname, a.attnum`);
  const tables = new Map<string, CatalogTable>();
  for (const r of cols) {
    const key = `${r.schema}.${r.table}`;
    let t = tables.get(key);
    if (!t) tables.set(key, (t = { schema: r.schema, table: r.table, comment: r.table_comment, columns: [] }));
    t.columns.push({ name: r.column, baseType: r.base_type, category: r.category, comment: r.comment });
  }
  // conparentid = 0: a partitioned table's key once, not again for every partition.
  const fks = await rows<{ table: string; columns: string[]; references: string; on_delete: string }>(db, sql`
    SELECT n.nspname || '.' || c.relname AS table, rn.nspname || '.' || r.relname AS references,
           con.confdeltype::text AS on_delete,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos) AS columns
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_class r ON r.oid = con.confrelid
      JOIN pg_namespace rn ON rn.oid = r.relnamespace
     WHERE con.contype = 'f' AND con.conparentid = 0 AND ${SKIP_SCHEMAS}
     ORDER BY 1, 2, con.conname`);
  return { tables, foreignKeys: fks.map((f) => ({ table: f.table, columns: f.columns, references: f.references, onDelete: ON_DELETE[f.on_delete] ?? 'no action' })) };
}

/** Tables whose rows are people: a policy whose subject is its own key, or what subject columns point at. */
function subjectTables(policies: readonly Policy[], fks: readonly ForeignKey[]): Set<string> {
  const out = new Set<string>();
  for (const p of policies) {
    if (p.source.subject === p.source.key) out.add(qualifiedName(p.source));
    const withSubject = [{ table: qualifiedName(p.source), column: p.source.subject }];
    if (p.trigger.kind === 'consent_withdrawn') withSubject.push({ table: qualifiedName(p.trigger.consent), column: p.trigger.consent.subject });
    for (const s of withSubject) {
      for (const fk of fks) if (fk.table === s.table && fk.columns.length === 1 && fk.columns[0] === s.column) out.add(fk.references);
    }
  }
  return out;
}

export function auditCoverage(catalog: DatabaseCatalog, policies: readonly Policy[], allow: readonly AllowEntry[]): CoverageReport {
  // Children go with their record under both actions; a delete policy takes its whole table.
  const deletedBy = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, id: string) => m.set(k, [...(m.get(k) ?? []), id]);
  const anonymised = new Map<string, string[]>();
  for (const p of policies) {
    // A manual policy's register is destroyed whole, row by row, when its tasks are confirmed.
    if (p.action.kind === 'delete' || p.action.kind === 'manual') add(deletedBy, qualifiedName(p.source), p.id);
    else for (const f of p.action.fields) add(anonymised, `${qualifiedName(p.source)}.${f.column}`, p.id);
    for (const c of p.children) add(deletedBy, qualifiedName(c), p.id);
  }
  const anonymisers = (table: string) => [...new Set(policies.filter((p) => p.action.kind === 'anonymise' && qualifiedName(p.source) === table).map((p) => p.id))];
  const people = subjectTables(policies, catalog.foreignKeys);
  // Many schemas declare no foreign keys (or drop them for bulk loads): a column named like a
  // policy's subject column (`customer_id`) identifies a person all the same.
  const subjectNames = new Map<string, string>();
  for (const p of policies) if (p.source.subject !== p.source.key) subjectNames.set(p.source.subject, p.id);
  const report: CoverageReport = { uncovered: [], undeclared_children: [], allowed: [] };
  const allowedBy = (table: string, columns: string[]) => allow.find((e) => allowMatches(e, table, columns));
  const at = (e: AllowEntry) => `${e.at.file}:${e.at.line}:${e.at.col}`;

  for (const [name, t] of catalog.tables) {
    if (deletedBy.has(name)) continue;
    const links = new Map<string, string>();
    for (const fk of catalog.foreignKeys) {
      if (fk.table !== name || !people.has(fk.references) || fk.references === name) continue;
      for (const c of fk.columns) links.set(c, `refers to ${fk.references}, whose rows are people: each row here is about a person`);
    }
    for (const c of t.columns) {
      const policy = subjectNames.get(c.name);
      if (policy && !links.has(c.name)) links.set(c.name, `named like the subject column of ${policy}: likely identifies a person, though no foreign key says so`);
    }
    for (const c of t.columns) {
      if (anonymised.has(`${name}.${c.name}`)) continue;
      const kinds = personalKinds({ ...c, table: t.table, tableComment: t.comment });
      const link = links.get(c.name);
      if (kinds.length === 0 && !link) continue;
      const finding: UncoveredColumn = {
        table: name, column: c.name,
        kinds: [...kinds.map((k) => k.kind), ...(link ? ['subject_link'] : [])],
        reasons: [...kinds.map((k) => k.reason), ...(link ? [link] : [])],
        anonymised_by: anonymisers(name),
      };
      const e = allowedBy(name, [c.name]);
      if (e) report.allowed.push({ kind: 'uncovered', table: name, column: c.name, policy: null, reason: e.reason, allowed_at: at(e) });
      else report.uncovered.push(finding);
    }
  }

  for (const p of policies) {
    const declared = new Set(p.children.map((c) => `${qualifiedName(c)}.${c.foreignKey}`));
    const parents = new Set([...(p.action.kind === 'delete' ? [qualifiedName(p.source)] : []), ...p.children.map(qualifiedName)]);
    for (const fk of catalog.foreignKeys) {
      if (!parents.has(fk.references)) continue;
      if (fk.columns.length === 1 && declared.has(`${fk.table}.${fk.columns[0]}`)) continue;
      const child: UndeclaredChild = {
        policy: p.id, table: fk.table, column: fk.columns.join(', '), references: fk.references, on_delete: fk.onDelete,
        effect: fk.onDelete === 'cascade' ? 'deleted_without_evidence' : fk.onDelete.startsWith('set') ? 'outlives_record' : 'blocks_delete',
      };
      const e = allowedBy(fk.table, fk.columns);
      if (e) report.allowed.push({ kind: 'undeclared_child', table: fk.table, column: child.column, policy: p.id, reason: e.reason, allowed_at: at(e) });
      else report.undeclared_children.push(child);
    }
  }
  return report;
}

/** Entries naming a table or column the database does not have: a typo, or a stale entry. */
export function allowProblems(catalog: DatabaseCatalog, allow: readonly AllowEntry[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const e of allow) {
    const t = catalog.tables.get(`${e.schema}.${e.table}`);
    if (!t) problems.push({ ...e.at, message: `table ${e.schema}.${e.table} does not exist in the database (lethe's and system schemas are never audited)` });
    for (const column of t ? [...(e.column === undefined ? [] : [e.column]), ...(e.where ?? []).map((w) => w.column)] : []) {
      if (!t!.columns.some((c) => c.name === column)) problems.push({ ...e.at, message: `column ${column} does not exist in ${e.schema}.${e.table}` });
    }
  }
  return problems;
}

/**
 * Entries that matched no finding: kept out of nothing, probably stale. `rowsAllowedAt`: where
 * the row audit used entries, when it ran; without it, row entries are not judged.
 */
export function unusedAllowEntries(report: CoverageReport, allow: readonly AllowEntry[], rowsAllowedAt?: readonly string[]): AllowEntry[] {
  const used = new Set([...report.allowed.map((a) => a.allowed_at), ...(rowsAllowedAt ?? [])]);
  return allow.filter((e) => !used.has(`${e.at.file}:${e.at.line}:${e.at.col}`) && (rowsAllowedAt !== undefined || e.where === undefined));
}
