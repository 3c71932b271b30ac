// The purge batch duration histogram, from the durations the purge jobs record on their batch
// rows (src/pipeline/timing.ts): cumulative since the first batch, like a Prometheus histogram
// kept by a process, but the same whichever process is scraped and across restarts. prom-client
// cannot set a histogram's buckets, so the exposition text is written here.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';

/** Upper bounds in seconds: a batch of 1000 takes tens to hundreds of milliseconds. */
export const BATCH_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const NAME = 'lethe_batch_duration_seconds';
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export async function batchDurations(db: Executor): Promise<string> {
  const buckets = BATCH_BUCKETS_SECONDS.map((le, i) => sql`count(*) FILTER (WHERE purge_ms <= ${le * 1000})::text AS ${sql.identifier(`b${i}`)}`);
  const r = await rows<Record<string, string>>(db, sql`SELECT policy_id, ${sql.join(buckets, sql`, `)},
      count(*)::text AS n, coalesce(sum(purge_ms), 0)::text AS ms
    FROM lethe.batches WHERE purge_ms IS NOT NULL GROUP BY policy_id ORDER BY policy_id`);
  const out = [`# HELP ${NAME} How long purge batches took (the transaction and the post-destruction check), by policy`, `# TYPE ${NAME} histogram`];
  for (const x of r) {
    const policy = `policy="${label(x.policy_id!)}"`;
    BATCH_BUCKETS_SECONDS.forEach((le, i) => out.push(`${NAME}_bucket{${policy},le="${le}"} ${x[`b${i}`]}`));
    out.push(`${NAME}_bucket{${policy},le="+Inf"} ${x.n}`, `${NAME}_sum{${policy}} ${Number(x.ms) / 1000}`, `${NAME}_count{${policy}} ${x.n}`);
  }
  return `${out.join('\n')}\n`;
}
