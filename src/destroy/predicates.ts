// SQL fragments built from a resolved policy. Identifiers come from policy files that passed
// the identifier syntax check and the catalog check; they are still always quoted with
// sql.identifier. Values are always parameters.
import { actionModule } from './actions/index.ts';
import { sql, type SQL } from 'drizzle-orm';
import type { Policy, WhereCondition } from '../policy/types.ts';
import { subtractDuration } from '../duration.ts';
import { triggerModule } from '../policy/triggers/index.ts';
import { qualified } from '../db/sql.ts';
import { subjectEquals } from '../subjects/canonical.ts';
import { dependentsGone } from '../policy/kept-while.ts';

/** The source table, aliased `t` in every statement. */
export function sourceTable(p: Policy): SQL {
  return qualified(p.source.schema, p.source.table);
}

export const col = (name: string): SQL => sql`t.${sql.identifier(name)}`;

function condition(c: WhereCondition): SQL {
  const column = col(c.column);
  switch (c.op) {
    case 'eq':
      return sql`${column} = ${c.value}`;
    case 'in':
      // Each value a parameter typed by the column, as `eq`'s, so an index on the column serves.
      return sql`${column} IN (${sql.join(c.values.map((v) => sql`${v}`), sql`, `)})`;
    case 'not':
      // NULL matches no condition but is_null: when unsure, the record is kept.
      return sql`${column} <> ${c.value}`;
    case 'is_null':
      return c.value ? sql`${column} IS NULL` : sql`${column} IS NOT NULL`;
  }
}

/** The policy's `where` filters, ANDed. */
export function whereFilter(p: Policy): SQL {
  return conditionsFilter(p.source.where);
}

/** `where` conditions on the row aliased `t`, ANDed (also the coverage allow-list's). */
export function conditionsFilter(where: readonly WhereCondition[]): SQL {
  if (where.length === 0) return sql`true`;
  return sql.join(where.map((c) => sql`(${condition(c)})`), sql` AND `);
}

/**
 * The retention clock has run out at `now` (a NULL clock has not started: not due), and no row
 * the policy is `kept_while` remains.
 */
export function triggerPassed(p: Policy, now: Date): SQL {
  return sql`(${clockPassed(p, now)} AND ${dependentsGone(p)})`;
}

/** The trigger kind's own clock (src/policy/triggers/) has run out at `now` − retain. */
function clockPassed(p: Policy, now: Date): SQL {
  return triggerModule(p.trigger).passed(p, p.trigger, subtractDuration(now, p.retain));
}

/** The statutory floor has run out at `now` (a NULL floor clock has not started: kept). */
export function floorPassed(p: Policy, now: Date): SQL {
  if (!p.minimum) return sql`true`;
  const cutoff = subtractDuration(now, p.minimum.period);
  return sql`(${col(p.minimum.from)} IS NOT NULL AND ${col(p.minimum.from)} <= ${cutoff})`;
}

/** For anonymise policies: the row still holds something the action would change. */
export function actionPending(p: Policy): SQL {
  // What the policy's action kind (src/destroy/actions/) would still change; a kind people
  // carry out (manual) changes the register row only when the task is confirmed.
  return actionModule(p.action).purge?.pending(p) ?? sql`true`;
}

/** Records whose time has come, ignoring the floor and holds. */
export function candidates(p: Policy, now: Date): SQL {
  return sql`${whereFilter(p)} AND ${triggerPassed(p, now)} AND ${actionPending(p)}`;
}

/** Candidates the floor no longer keeps: what a purge may destroy, holds aside. */
export function eligible(p: Policy, now: Date): SQL {
  return sql`${candidates(p, now)} AND ${floorPassed(p, now)}`;
}

/** When the statutory floor of the row ends (NULL while its clock has not started). */
export function floorEnds(p: Policy): SQL {
  if (!p.minimum) return sql`NULL::timestamptz`;
  return sql`(${col(p.minimum.from)} + ${intervalOf(p.minimum.period)}::interval)`;
}

/** An ISO 8601 duration as a PostgreSQL interval literal (parameter text). */
export function intervalOf(d: { years: number; months: number; weeks: number; days: number; hours: number; minutes: number; seconds: number }): string {
  return `${d.years} years ${d.months} months ${d.weeks * 7 + d.days} days ${d.hours} hours ${d.minutes} minutes ${d.seconds} seconds`;
}

/**
 * Restricted by an erasure request (its floor still ran). The stored `until` is for the reply;
 * the floor predicate, evaluated on the row, decides when the record may go. The registry's
 * keys are cast to the key's type so that the source is reached through its primary key.
 */
export function isRestricted(p: Policy, keyType: string): SQL {
  return sql`${col(p.source.key)} IN (SELECT r.record_key::${sql.raw(keyType)} FROM lethe.restrictions r
    WHERE r.policy_id = ${p.id} AND r.closed_at IS NULL)`;
}

/**
 * What a sweep at `now` destroys, holds aside — due by the policy's clock, or restricted and
 * released — as two disjoint sets, each found through an index: the clock's, and the
 * restriction registry's then the key's. One WHERE with `clock OR restricted` would read the
 * whole table, so counting the due work would grow with the table instead of the due set.
 */
export function sweepableParts(p: Policy, now: Date, keyType: string): [byClock: SQL, released: SQL] {
  const base = sql`${whereFilter(p)} AND ${actionPending(p)} AND ${floorPassed(p, now)}`;
  return [
    sql`${base} AND ${triggerPassed(p, now)}`,
    sql`${base} AND ${isRestricted(p, keyType)} AND (${triggerPassed(p, now)}) IS NOT TRUE`,
  ];
}

/**
 * The subject column equals an operator-given id, in the column's own type so that its index
 * serves: only the column's own text of a value matches (src/subjects/canonical.ts). `type` is
 * the column's base type (`rules.types.baseOf`).
 */
export function subjectIs(p: Policy, subject: string, type: string): SQL {
  return subjectEquals(col(p.source.subject), subject, type);
}
