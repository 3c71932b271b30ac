// Policies checked against the database catalog before any SQL is built from them: every table
// and column exists and has a type its role can use. Names are looked up as parameters; the
// type names returned here come from pg_catalog and are the only ones the engine embeds.
import { sql } from 'drizzle-orm';
import { triggerTables } from './triggers/index.ts';
import type { Executor } from '../db/connect.ts';
import { rows, arrayParam } from '../db/sql.ts';
import type { PolicyProblem, SourcePosition } from '../errors.ts';
import { qualifiedName, type Policy, type TableRef } from './types.ts';
import { checkPolicyColumns, shownPath } from './catalog-rules.ts';

export interface ColumnInfo {
  name: string;
  /** `format_type(atttypid, atttypmod)`: `bigint`, `character varying(64)`, `timestamp with time zone`. */
  type: string;
  /** The base type's short name (`int8`, `varchar`, `timestamptz`); a domain's underlying type. */
  baseType: string;
  /** format_type of the base type with its modifiers (`numeric(12,2)`): `type` itself unless a domain. */
  baseFormat: string;
  /** pg_type.typcategory of the base type: S string, N numeric, D date/time, B boolean… */
  category: string;
  /** Declared length of varchar(n)/char(n); undefined when unbounded. */
  maxLength: number | undefined;
  nullable: boolean;
}

export interface IndexInfo {
  name: string;
  /** Key columns in order; null for an expression. */
  columns: (string | null)[];
  /** The index's expressions as PostgreSQL prints them (pg_get_expr), or null. */
  expressions?: string | null;
}

export interface TableInfo extends TableRef {
  /** pg_class.relkind: r table, p partitioned table, v view, m materialised view, f foreign table. */
  kind: string;
  columns: Map<string, ColumnInfo>;
  indexes: IndexInfo[];
}

export interface CatalogReport {
  problems: PolicyProblem[];
  warnings: PolicyProblem[];
  /** Keyed `schema.table`: every table the policies name that exists. */
  tables: Map<string, TableInfo>;
}

/** Type names the engine may embed in a cast: what format_type prints for built-in types. */
const SAFE_TYPE = /^[a-z][a-z0-9 _(),]*$/;

/** The catalog type of a column, for casting text parameters back (`$1::bigint[]`). */
export function castType(info: TableInfo, column: string): string {
  const c = info.columns.get(column);
  if (!c) throw new Error(`${qualifiedName(info)} has no column ${column}`);
  if (!SAFE_TYPE.test(c.type)) throw new Error(`${qualifiedName(info)}.${column} has type ${c.type}, which lethe does not cast to`);
  return c.type;
}

/**
 * `schema.table.column` → catalog type (`which`: the column's own, or a domain's base type), for
 * every column of every table: what the engine casts with.
 */
export function columnTypeMap(tables: Map<string, TableInfo>, which: 'type' | 'baseFormat' = 'type'): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tables.values()) {
    for (const c of t.columns.values()) {
      if (SAFE_TYPE.test(c[which])) out.set(`${t.schema}.${t.table}.${c.name}`, c[which]);
    }
  }
  return out;
}

/** Every table a policy names: source, children, consent table. */
export function tablesOf(p: Policy): TableRef[] {
  const out: TableRef[] = [p.source, ...p.children];
  out.push(...triggerTables(p));
  out.push(...p.keptWhile);
  return out;
}

export async function readTables(db: Executor, names: readonly string[]): Promise<Map<string, TableInfo>> {
  const tables = new Map<string, TableInfo>();
  if (names.length === 0) return tables;
  const cols = await rows<{ schema: string; table: string; kind: string; column: string | null; type: string | null;
    base_type: string | null; base_format: string | null; category: string | null; typmod: number | null; not_null: boolean | null }>(db, sql`
    SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS kind, a.attname AS column,
           format_type(a.atttypid, a.atttypmod) AS type,
           bt.typname AS base_type, bt.typcategory::text AS category,
           format_type(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) AS base_format,
           CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
           a.attnotnull AS not_null
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
     WHERE n.nspname || '.' || c.relname = ANY(${arrayParam(names)}::text[])
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     ORDER BY n.nspname, c.relname, a.attnum`);
  for (const r of cols) {
    const key = `${r.schema}.${r.table}`;
    let t = tables.get(key);
    if (!t) tables.set(key, (t = { schema: r.schema, table: r.table, kind: r.kind, columns: new Map(), indexes: [] }));
    if (r.column === null) continue;
    const bounded = (r.base_type === 'varchar' || r.base_type === 'bpchar') && r.typmod !== null && r.typmod >= 4;
    t.columns.set(r.column, {
      name: r.column,
      type: r.type!,
      baseType: r.base_type!,
      baseFormat: r.base_format!,
      category: r.category!,
      // varchar(n) stores n + 4 in atttypmod (the varlena header).
      maxLength: bounded ? Number(r.typmod) - 4 : undefined,
      nullable: !r.not_null,
    });
  }
  const idx = await rows<{ schema: string; table: string; index: string; columns: (string | null)[]; expressions: string | null }>(db, sql`
    SELECT n.nspname AS schema, t.relname AS table, i.relname AS index, pg_get_expr(ix.indexprs, ix.indrelid) AS expressions,
           ARRAY(SELECT a.attname::text
                   FROM generate_subscripts(ix.indkey, 1) AS k(pos)
                   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[k.pos]
                  ORDER BY k.pos) AS columns
      FROM pg_index ix
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname || '.' || t.relname = ANY(${arrayParam(names)}::text[])
     ORDER BY i.relname`);
  for (const r of idx) tables.get(`${r.schema}.${r.table}`)?.indexes.push({ name: r.index, columns: r.columns, expressions: r.expressions });
  return tables;
}

/**
 * Problems stop lethe (a table or column missing, a type that cannot work); warnings do not
 * (a scan without an index is slow, not wrong). Each points at the line that names the thing.
 */
export async function checkCatalog(db: Executor, policies: Policy[]): Promise<CatalogReport> {
  const names = [...new Set(policies.flatMap((p) => tablesOf(p).map(qualifiedName)))];
  const tables = await readTables(db, names);
  const problems: PolicyProblem[] = [];
  const warnings: PolicyProblem[] = [];
  for (const p of policies) {
    const at = (path: string): SourcePosition => p.positions[path] ?? { file: p.file, line: 1, col: 1 };
    // Positions are keyed `children.0.table`; messages name it as an operator would.
    const say = (path: string, message: string) => `${shownPath(path)}: ${message}`;
    checkPolicyColumns(p, tables, {
      problem: (path, message) => problems.push({ ...at(path), message: say(path, message) }),
      warning: (path, message) => warnings.push({ ...at(path), message: say(path, message) }),
    });
  }
  return { problems, warnings, tables };
}
