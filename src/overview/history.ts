// What was destroyed, per day: read from the evidence, the one record that cannot drift from
// what really happened. Days are UTC calendar days.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';

export const DAY_MS = 86_400_000;

export interface DayCount {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** Records and child rows deleted or anonymised that day. */
  total: number;
  byPolicy: Record<string, number>;
}

/** The UTC midnight of `at`'s day. */
export function utcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

export function dayKey(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Deletions and anonymisations (not `deferred`) from the start of the day `days - 1` days before
 * `now`'s up to `now`, one entry per day that had any, oldest first.
 */
export async function destroyedPerDay(db: Executor, now: Date, days: number): Promise<DayCount[]> {
  const from = new Date(utcDay(now).getTime() - (days - 1) * DAY_MS);
  const found = await rows<{ day: string; policy_id: string; n: string }>(db, sql`
    SELECT to_char(date_trunc('day', occurred_at, 'UTC'), 'YYYY-MM-DD') AS day, policy_id, count(*)::text AS n
    FROM lethe.evidence
    WHERE action IN ('delete', 'anonymise') AND occurred_at >= ${from} AND occurred_at <= ${now}
    GROUP BY 1, 2 ORDER BY 1, 2`);
  const out = new Map<string, DayCount>();
  for (const r of found) {
    const d = out.get(r.day) ?? { day: r.day, total: 0, byPolicy: {} };
    d.total += Number(r.n);
    d.byPolicy[r.policy_id] = Number(r.n);
    out.set(r.day, d);
  }
  return [...out.values()];
}
