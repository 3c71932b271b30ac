// What was destroyed, per day: read from the evidence, the one record that cannot drift from
// what really happened. Days are calendar days in LETHE_TIMEZONE: what the people reading the
// page call "today".
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { localDate } from '../time.ts';

export const DAY_MS = 86_400_000;

export interface DayCount {
  /** `YYYY-MM-DD` in the page's time zone. */
  day: string;
  /** Records and child rows deleted or anonymised that day. */
  total: number;
  byPolicy: Record<string, number>;
}

/** `YYYY-MM-DD` shifted by `days` calendar days (plain date arithmetic: no clock, no zone). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Deletions and anonymisations (not `deferred`) from the start of the day `days - 1` days before
 * `now`'s up to `now`, one entry per day that had any, oldest first.
 */
export async function destroyedPerDay(db: Executor, now: Date, days: number, timeZone: string): Promise<DayCount[]> {
  // The first day's local midnight, computed by PostgreSQL in the zone (DST included).
  const from = sql`(${addDays(localDate(now, timeZone), -(days - 1))}::timestamp AT TIME ZONE ${timeZone})`;
  const found = await rows<{ day: string; policy_id: string; n: string }>(db, sql`
    SELECT to_char(occurred_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS day, policy_id, count(*)::text AS n
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
