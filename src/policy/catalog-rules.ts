// What each column a policy names must be, given its role. Pure: the catalog was read already.
import type { Policy, TableRef, WhereCondition } from './types.ts';
import type { ColumnInfo, TableInfo } from './catalog.ts';
import { actionModule } from '../destroy/actions/index.ts';
import { SUBJECT_TYPES_HELP, subjectType } from '../subjects/canonical.ts';
import { triggerModule } from './triggers/index.ts';
import type { CatalogCheck } from './catalog-check.ts';

export interface Report {
  problem(path: string, message: string): void;
  warning(path: string, message: string): void;
}

/** Keys are cast back from text (`= ANY($1::bigint[])`) and hashed into record refs. */
const KEY_TYPES = ['int2', 'int4', 'int8', 'numeric', 'text', 'varchar', 'uuid'];
const CLOCK_TYPES = ['date', 'timestamp', 'timestamptz'];
const LISTED_COLUMNS = 15;

/**
 * Schemas a policy may never point into: lethe's own (a policy on lethe.holds would lift every
 * hold, on lethe.api_tokens lock everyone out) and PostgreSQL's (`pg_` is reserved for the
 * system: pg_catalog, pg_toast, pg_temp_N…).
 */
const FORBIDDEN_SCHEMA = /^(?:lethe|information_schema|pg_.*)$/;
/** pg_class.relkind of what a policy may point at: a table, or a partitioned one. */
const BASE_TABLE = ['r', 'p'];
const RELKIND_NAME: Record<string, string> = { v: 'a view', m: 'a materialized view', f: 'a foreign table' };

/** A position path as an operator reads it in a message: `children.0.table` → `children[0].table`. */
export function shownPath(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/** How an operator names a table: `public` is implied. */
export function shown(t: TableRef): string {
  return t.schema === 'public' ? t.table : `${t.schema}.${t.table}`;
}

const describe = (c: ColumnInfo) => `${c.name} is ${c.type}`;

/** A value PostgreSQL will accept for the column, so a scan cannot fail on its first row. */
function fitsValue(c: ColumnInfo, v: string | number | boolean): boolean {
  const s = String(v);
  if (c.category === 'N') return c.baseType.startsWith('int') ? /^-?\d+$/.test(s) : s.trim() !== '' && Number.isFinite(Number(s));
  if (c.category === 'B') return s === 'true' || s === 'false';
  if (CLOCK_TYPES.includes(c.baseType)) return !Number.isNaN(Date.parse(s));
  if (c.baseType === 'uuid') return /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(s);
  return true;
}

function values(w: WhereCondition): (string | number | boolean)[] {
  if (w.op === 'in') return w.values;
  if (w.op === 'is_null') return [];
  return [w.value];
}

export function checkPolicyColumns(p: Policy, tables: Map<string, TableInfo>, r: Report): void {
  // Source, children and consent table alike: the lender's own base tables, nothing else.
  const table = (ref: TableRef, path: string): TableInfo | undefined => {
    if (FORBIDDEN_SCHEMA.test(ref.schema)) {
      r.problem(path, `${shown(ref)} is in schema ${ref.schema}, which belongs to ${ref.schema === 'lethe' ? 'lethe itself' : 'PostgreSQL'}; a policy may only point at the lender's own tables`);
      return undefined;
    }
    const t = tables.get(`${ref.schema}.${ref.table}`);
    if (!t) r.problem(path, `table ${shown(ref)} does not exist`);
    else if (!BASE_TABLE.includes(t.kind)) {
      r.problem(path, `${shown(ref)} is ${RELKIND_NAME[t.kind] ?? `not a table (relkind ${t.kind})`}; a policy may only point at the lender's own tables, not at what they are seen or reached through`);
      return undefined;
    }
    return t;
  };
  const column = (t: TableInfo | undefined, name: string, path: string): ColumnInfo | undefined => {
    if (!t) return undefined;
    const c = t.columns.get(name);
    if (!c) {
      const all = [...t.columns.keys()];
      const list = all.length > LISTED_COLUMNS ? `${all.slice(0, LISTED_COLUMNS).join(', ')}, …` : all.join(', ');
      r.problem(path, `column ${name} does not exist in ${shown(t)} (columns: ${list})`);
    }
    return c;
  };
  const key = (t: TableInfo | undefined, name: string, path: string) => {
    const c = column(t, name, path);
    if (c && !KEY_TYPES.includes(c.baseType)) {
      r.problem(path, `${describe(c)}; a key must be smallint, integer, bigint, numeric, text, varchar or uuid`);
    }
  };
  const clock = (t: TableInfo | undefined, name: string, path: string) => {
    const c = column(t, name, path);
    if (c && !CLOCK_TYPES.includes(c.baseType)) r.problem(path, `${describe(c)}; a clock must be date, timestamp or timestamptz`);
    return c;
  };
  const indexed = (t: TableInfo, first: string) => t.indexes.some((i) => i.columns[0] === first);
  // The scan walks the clock in order; columns the policy fixes by equality may come first.
  // The scan reads the due set once (src/destroy/scan.ts): it needs an index that finds the rows
  // past their clock among those the policy fixes by equality (or a list), not one in key order.
  const equalities = new Set(p.source.where.filter((w) => w.op === 'eq' || w.op === 'in').map((w) => w.column));
  const servesScan = (t: TableInfo, clockColumn: string) => t.indexes.some((i) => {
    const at = i.columns.findIndex((c) => c === null || !equalities.has(c));
    return i.columns[at] === clockColumn;
  });

  const src = table(p.source, 'source.table');
  key(src, p.source.key, 'source.key');
  const subject = column(src, p.source.subject, 'source.subject');
  // Subject ids are compared as the column's text (src/subjects/canonical.ts): one spelling per value.
  if (subject && !subjectType(subject.baseFormat)) {
    r.problem('source.subject', `${describe(subject)}; a subject column must be ${SUBJECT_TYPES_HELP} (one way to write each id)`);
  }
  if (src && src.columns.has(p.source.subject) && p.source.subject !== p.source.key && !indexed(src, p.source.subject)) {
    r.warning('source.subject', `no index on ${shown(src)} starts with ${p.source.subject}, so each erasure request or subject purge reads the whole table; create one: CREATE INDEX ON ${shown(src)} (${p.source.subject})`);
  }
  for (const w of p.source.where) {
    const path = `source.where.${w.column}`;
    const c = column(src, w.column, path);
    const bad = c ? values(w).filter((v) => !fitsValue(c, v)) : [];
    if (c && bad.length > 0) r.problem(path, `${JSON.stringify(bad[0])} is not a valid value for column ${c.name} (${c.type})`);
  }
  const check: CatalogCheck = { table, column, clock, indexed, servesScan, equalities, describe, shown, problem: r.problem, warning: r.warning };
  triggerModule(p.trigger).check(p, p.trigger, check, src);
  if (p.minimum) clock(src, p.minimum.from, 'minimum.from');
  actionModule(p.action).check(p, p.action, check, src);
  p.keptWhile.forEach((k, i) => {
    const t = table(k, `kept_while.${i}.table`);
    const c = column(t, k.subject, `kept_while.${i}.subject`);
    const own = src?.columns.get(p.source.subject);
    if (c && own && c.baseType !== own.baseType) {
      r.problem(`kept_while.${i}.subject`, `${describe(c)}, but the source subject ${describe(own)}: they must hold the same ids`);
    }
    if (t && c && !indexed(t, k.subject)) {
      r.warning(`kept_while.${i}.subject`, `no index on ${shown(t)} starts with ${k.subject}, so each scan looks through the whole table for every record; create one: CREATE INDEX ON ${shown(t)} (${k.subject})`);
    }
  });
  p.suppress.forEach((s, i) => {
    const c = column(src, s.column, `suppress.${i}`);
    if (c && c.category !== 'S') r.problem(`suppress.${i}`, `${describe(c)}; a ${s.kind} column to suppress must hold text`);
  });
  const pointers = (t: TableInfo | undefined, list: readonly { column: string }[], path: string) => list.forEach((o, i) => {
    const c = column(t, o.column, `${path}.${i}.column`);
    if (c && c.category !== 'S') r.problem(`${path}.${i}.column`, `${describe(c)}; an objects column holds a URI or key as text`);
  });
  pointers(src, p.objects, 'objects');
  p.children.forEach((child, i) => {
    const t = table(child, `children.${i}.table`);
    pointers(t, child.objects, `children.${i}.objects`);
    key(t, child.key, `children.${i}.key`);
    key(t, child.foreignKey, `children.${i}.foreign_key`);
    if (t && t.columns.has(child.foreignKey) && !indexed(t, child.foreignKey)) {
      r.warning(`children.${i}.foreign_key`, `no index on ${shown(t)} starts with ${child.foreignKey}, so each batch reads the whole table; create one: CREATE INDEX ON ${shown(t)} (${child.foreignKey})`);
    }
  });
}
