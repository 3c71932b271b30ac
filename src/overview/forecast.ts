// The coming expiries: per policy, how many records' retention runs out on each of the next days.
// Only expiry policies have a date to forecast; a consent policy's clock starts when the subject
// withdraws, which nobody knows in advance. The statutory floor and holds can still keep a record
// past its day: this is when retention ends, not a promise of destruction.
import { clockColumn } from '../policy/triggers/index.ts';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';
import { actionPending, col, intervalOf, sourceTable, whereFilter } from '../destroy/predicates.ts';
import { DAY_MS } from './history.ts';

export interface Forecast {
  policy: string;
  /** False for consent policies: no date to forecast. */
  forecastable: boolean;
  /** `YYYY-MM-DD` (in the page's zone) → records whose retention ends that day; days without any are absent. */
  days: Record<string, number>;
  total: number;
}

/** One query per policy: records in scope whose `clock + retain` falls in (now, now + days]. */
export async function expiryForecast(db: Executor, p: Policy, now: Date, days: number, timeZone: string): Promise<Forecast> {
  // Only a clock on the record itself says when it will be due.
  const clock = clockColumn(p);
  if (clock === null) return { policy: p.id, forecastable: false, days: {}, total: 0 };
  const ends = sql`(${col(clock)} + ${intervalOf(p.retain)}::interval)`;
  const until = new Date(now.getTime() + days * DAY_MS);
  const found = await rows<{ day: string; n: string }>(db, sql`
    SELECT to_char(${ends} AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS day, count(*)::text AS n
    FROM ${sourceTable(p)} t
    WHERE ${whereFilter(p)} AND ${actionPending(p)} AND ${ends} > ${now} AND ${ends} <= ${until}
    GROUP BY 1 ORDER BY 1`);
  const out: Record<string, number> = {};
  let total = 0;
  for (const r of found) {
    out[r.day] = Number(r.n);
    total += Number(r.n);
  }
  return { policy: p.id, forecastable: true, days: out, total };
}
