// A policy's source table as PostgreSQL partitions it. Whole partitions can go only when the
// table is declaratively range-partitioned on exactly the policy's clock column (pg_partman
// makes such tables; so does a DBA by hand): then a partition's bounds say when every row in it
// became due. Any other layout — list or hash partitions, a key of several columns or an
// expression, a plain table — leaves the policy to row batches.
import { clockColumn } from '../../policy/triggers/index.ts';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/connect.ts';
import type { Ruleset } from '../../engine.ts';
import { qualified, rows } from '../../db/sql.ts';
import type { Policy, TableRef } from '../../policy/types.ts';

/** One leaf partition that may go whole: a plain table with a range bound. */
export interface RangePartition extends TableRef {
  /** Lower bound as PostgreSQL prints it (a literal of the clock's type); null for MINVALUE. */
  from: string | null;
  /** Upper bound, exclusive; null for MAXVALUE (never wholly past anything). */
  to: string | null;
  /** pg_get_expr of the bound, compared again under the drop's lock. */
  bound: string;
}

export interface PartitionLayout {
  /** The clock column the source is partitioned on. */
  column: string;
  /** Leaves that may go whole, in bound order. */
  partitions: RangePartition[];
  /** Leaves that never go whole: the default partition, sub-partitioned or foreign ones. */
  others: number;
}

/**
 * The clock column a whole partition could be judged by: only a policy that deletes, with a
 * clock on the row itself (an anonymised record stays; a consent trigger's clock is elsewhere).
 */
export function partitionClock(p: Policy): string | null {
  return p.action.kind === 'delete' ? clockColumn(p) : null;
}

const RANGE_BOUND = /^FOR VALUES FROM \((.*)\) TO \((.*)\)$/s;

/** A one-column bound value: a quoted literal's text, null for MINVALUE/MAXVALUE, undefined otherwise. */
function boundValue(text: string): string | null | undefined {
  if (text === 'MINVALUE' || text === 'MAXVALUE') return null;
  const m = /^'((?:[^']|'')*)'$/.exec(text);
  return m ? m[1]!.replace(/''/g, "'") : undefined;
}

/** `FOR VALUES FROM (…) TO (…)` of a one-column range partition; undefined for anything else. */
export function parseRangeBound(bound: string): { from: string | null; to: string | null } | undefined {
  const m = RANGE_BOUND.exec(bound);
  if (!m) return undefined;
  const from = boundValue(m[1]!);
  const to = boundValue(m[2]!);
  if (from === undefined || to === undefined) return undefined;
  // MAXVALUE as a lower bound or MINVALUE as an upper one would print the same null: refuse.
  if ((from === null && m[1] !== 'MINVALUE') || (to === null && m[2] !== 'MAXVALUE')) return undefined;
  return { from, to };
}

interface Leaf extends Record<string, unknown> {
  schema: string;
  table: string;
  kind: string;
  bound: string | null;
}

/** The leaves of `parent` (detaching ones excluded: they are on their way out already). */
export function leavesOf(parent: TableRef) {
  return sql`SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS kind, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE i.inhparent = (SELECT pc.oid FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE pn.nspname = ${parent.schema} AND pc.relname = ${parent.table})
      AND NOT i.inhdetachpending`;
}

/** A leaf as a partition that may go whole, or undefined (default, sub-partitioned, foreign, unreadable bound). */
export function rangeLeaf(l: Leaf): RangePartition | undefined {
  if (l.kind !== 'r' || l.bound === null) return undefined;
  const b = parseRangeBound(l.bound);
  return b ? { schema: l.schema, table: l.table, ...b, bound: l.bound } : undefined;
}

/** How the policy's source is range-partitioned on its clock; null when whole partitions cannot apply. */
export async function partitionLayout(db: Executor, rules: Ruleset, p: Policy): Promise<PartitionLayout | null> {
  const clock = partitionClock(p);
  if (clock === null) return null;
  const [key] = await rows<{ strategy: string; columns: number; column: string | null }>(db, sql`SELECT pt.partstrat::text AS strategy,
      pt.partnatts::int AS columns, a.attname AS column
    FROM pg_partitioned_table pt
    JOIN pg_class c ON c.oid = pt.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
    WHERE n.nspname = ${p.source.schema} AND c.relname = ${p.source.table}`);
  if (!key || key.strategy !== 'r' || key.columns !== 1 || key.column !== clock) return null;
  const leaves = await rows<Leaf>(db, leavesOf(p.source));
  const partitions: RangePartition[] = [];
  for (const l of leaves) {
    const r = rangeLeaf(l);
    if (r) partitions.push(r);
  }
  return { column: clock, partitions: await inBoundOrder(db, rules.types.of(p.source, clock), partitions), others: leaves.length - partitions.length };
}

/** Sorted by lower bound, compared in the clock's own type (the literals' text does not sort). */
async function inBoundOrder(db: Executor, clockType: string, parts: RangePartition[]): Promise<RangePartition[]> {
  if (parts.length < 2) return parts;
  const order = await rows<{ i: number }>(db, sql`SELECT (u.i - 1)::int AS i
    FROM unnest(${sql.param(parts.map((x) => x.from))}::text[]) WITH ORDINALITY AS u(v, i)
    ORDER BY u.v::${sql.raw(clockType)} NULLS FIRST`);
  return order.map((r) => parts[r.i]!);
}

/** The partition itself, aliased `t` like the source in every statement (predicates.ts). */
export function partitionTable(part: TableRef) {
  return qualified(part.schema, part.table);
}
