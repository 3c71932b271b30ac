// SQL fragments built from a resolved policy. Identifiers come from policy files that passed
// the identifier syntax check and the catalog check; they are still always quoted with
// sql.identifier. Values are always parameters.
import { sql, type SQL } from 'drizzle-orm';
import type { Policy, WhereCondition } from '../policy/types.ts';
import { subtractDuration } from '../duration.ts';
import { qualified } from '../db/sql.ts';
import { anonymisePending } from './anonymise.ts';

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
      return sql`${column}::text = ANY(${sql.param(c.values.map(String))}::text[])`;
    case 'not':
      // NULL matches no condition but is_null: when unsure, the record is kept.
      return sql`${column} <> ${c.value}`;
    case 'is_null':
      return c.value ? sql`${column} IS NULL` : sql`${column} IS NOT NULL`;
  }
}

/** The policy's `where` filters, ANDed. */
export function whereFilter(p: Policy): SQL {
  if (p.source.where.length === 0) return sql`true`;
  return sql.join(p.source.where.map((c) => sql`(${condition(c)})`), sql` AND `);
}

/** The retention clock has run out at `now` (a NULL clock has not started: not due). */
export function triggerPassed(p: Policy, now: Date): SQL {
  if (p.trigger.kind !== 'expiry') {
    throw new Error(`trigger ${p.trigger.kind} is handled by its own scan`);
  }
  const cutoff = subtractDuration(now, p.retain);
  return sql`(${col(p.trigger.from)} IS NOT NULL AND ${col(p.trigger.from)} <= ${cutoff})`;
}

/** The statutory floor has run out at `now` (a NULL floor clock has not started: kept). */
export function floorPassed(p: Policy, now: Date): SQL {
  if (!p.minimum) return sql`true`;
  const cutoff = subtractDuration(now, p.minimum.period);
  return sql`(${col(p.minimum.from)} IS NOT NULL AND ${col(p.minimum.from)} <= ${cutoff})`;
}

/** For anonymise policies: the row still holds something the action would change. */
export function actionPending(p: Policy): SQL {
  return p.action.kind === 'anonymise' ? anonymisePending(p.action.fields) : sql`true`;
}

/** Records whose time has come, ignoring the floor and holds. */
export function candidates(p: Policy, now: Date): SQL {
  return sql`${whereFilter(p)} AND ${triggerPassed(p, now)} AND ${actionPending(p)}`;
}

/** Candidates the floor no longer keeps: what a purge may destroy, holds aside. */
export function eligible(p: Policy, now: Date): SQL {
  return sql`${candidates(p, now)} AND ${floorPassed(p, now)}`;
}
