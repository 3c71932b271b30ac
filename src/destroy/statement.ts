// The one statement that destroys a batch's records: the victims (CTE `v`), each declared
// child table's rows of them, then the records themselves — children and parents in one
// statement, whose foreign-key checks run at its end, when both are gone. Files the rows point
// to (`objects:`) are read in the same statement, before the rows go (src/objects/outbox.ts).
import { sql, type SQL } from 'drizzle-orm';
import type { Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { qualified, rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';
import { pointerAlias, pointerColumns } from '../objects/pointers.ts';
import { col, sourceTable } from './predicates.ts';
import type { PurgeAction } from './actions/index.ts';
import type { Victims } from './actions/types.ts';

/**
 * The destroyed rows, as aligned lists (one JSON document each rather than a protocol row and
 * an object per row): `i` 0 for the source, j + 1 for child j; `k` the row's key; `s` the
 * record's subject; `o` the row's object pointers (only when some table has `objects:`).
 */
export interface DestroyedRows {
  i: number[];
  k: string[];
  s: (string | null)[];
  o: ((string | null)[] | null)[] | null;
}

const objectColumns = (p: Policy): string[] => p.objects.map((o) => o.column);

/** Victims found and locked by the statement itself: the due rows among `keys` (an array of the key's type). */
export function lockDue(p: Policy, keys: SQL, due: SQL): SQL {
  return sql`SELECT ${col(p.source.key)} AS lethe_k, ${col(p.source.subject)}::text AS lethe_s ${pointerColumns(objectColumns(p), 't')}
    FROM ${sourceTable(p)} t WHERE ${col(p.source.key)} = ANY(${keys}) AND ${due} FOR UPDATE OF t SKIP LOCKED`;
}

/** Columns a victim carries besides its key and subject, each a list aligned with the keys. */
export interface VictimValues {
  /** Keyed pseudonyms the action writes (`h0…`, PurgeAction.readsValues). */
  pseudonyms: readonly (readonly (string | null)[])[];
  /** The source's object pointers, read under the lock (`lethe_object_0…`). */
  pointers: readonly (readonly (string | null)[])[];
}

/** Victims this transaction already locked and chose: the `rows` of Victims' `chosen` kind. */
export function chosen(p: Policy, rules: Ruleset, keys: readonly string[], subjects: readonly (string | null)[], values: VictimValues): SQL {
  const keyType = rules.types.of(p.source, p.source.key);
  const extra = [...values.pseudonyms.map((h, i) => [`h${i}`, h] as const), ...values.pointers.map((o, i) => [pointerAlias(i), o] as const)];
  const arrays = [sql`${sql.param(keys)}::text[]`, sql`${sql.param(subjects)}::text[]`, ...extra.map(([, v]) => sql`${sql.param(v)}::text[]`)];
  const names = [sql`k`, sql`s`, ...extra.map(([n]) => sql.identifier(n))];
  return sql`SELECT u.k::${sql.raw(keyType)} AS lethe_k, u.s AS lethe_s${sql.join(extra.map(([n]) => sql`, u.${sql.identifier(n)}`), sql``)}
    FROM unnest(${sql.join(arrays, sql`, `)}) AS u(${sql.join(names, sql`, `)})`;
}

/** `json_build_array(alias.lethe_object_0, …)` of n pointer columns, or NULL. */
function pointerList(alias: string, n: number): SQL {
  if (n === 0) return sql`NULL::json`;
  return sql`json_build_array(${sql.join(Array.from({ length: n }, (_, i) => sql`${sql.identifier(alias)}.${sql.identifier(pointerAlias(i))}`), sql`, `)})`;
}

export async function destroyRows(tx: Tx, rules: Ruleset, p: Policy, action: PurgeAction, victims: Victims): Promise<DestroyedRows> {
  const withObjects = p.objects.length > 0 || p.children.some((c) => c.objects.length > 0);
  // What `d` returns per record: the key in its type (children join on it), as text, the subject,
  // the object pointers — from the row itself, or (anonymise) from the victim as locked before.
  const returning = (alias: 't' | 'v') => alias === 't'
    ? sql`${col(p.source.key)} AS lethe_k, ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s ${pointerColumns(objectColumns(p), 't')}`
    : sql`v.lethe_k, v.lethe_k::text AS k, v.lethe_s AS s${sql.join(p.objects.map((_, i) => sql`, v.${sql.identifier(pointerAlias(i))}`), sql``)}`;
  const source = action.source(p, rules, victims, returning);
  // Children of the records `d` destroyed, nothing else: a record skipped keeps its children.
  const children = p.children.map((c, j) => sql`${sql.identifier(`c${j}`)} AS (DELETE FROM ${qualified(c.schema, c.table)} c USING d
      WHERE c.${sql.identifier(c.foreignKey)} = d.lethe_k::${sql.raw(rules.types.of(c, c.foreignKey))}
      RETURNING c.${sql.identifier(c.key)}::text AS k, d.s ${pointerColumns(c.objects.map((o) => o.column), 'c')})`);
  const o = (alias: string, n: number) => (withObjects ? sql`, ${pointerList(alias, n)} AS o` : sql``);
  const results = [
    sql`SELECT 0 AS i, k, s ${o('d', p.objects.length)} FROM d`,
    ...p.children.map((c, j) => sql`SELECT ${j + 1} AS i, k, s ${o(`c${j}`, c.objects.length)} FROM ${sql.identifier(`c${j}`)}`),
  ];
  const ctes = [...source.before, sql`d AS (${source.d})`, ...children];
  const [r] = await rows<{ i: number[] | null; k: string[] | null; s: (string | null)[] | null; o?: ((string | null)[] | null)[] | null }>(tx, sql`WITH ${sql.join(ctes, sql`, `)}
    SELECT json_agg(x.i) AS i, json_agg(x.k) AS k, json_agg(x.s) AS s ${withObjects ? sql`, json_agg(x.o) AS o` : sql``}
    FROM (${sql.join(results, sql` UNION ALL `)}) x`);
  return { i: r!.i ?? [], k: r!.k ?? [], s: r!.s ?? [], o: withObjects ? r!.o ?? [] : null };
}
