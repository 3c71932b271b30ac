// How long each purge job took, kept on its batch row: the batch duration histogram on
// /metrics is computed from it (every process reports the same figures, whichever is scraped).
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one } from '../db/sql.ts';

/** Records the job's duration on the batch; returns the batch's policy, for the log line. */
export async function recordPurgeTime(db: Executor, batchId: string, ms: number): Promise<string | undefined> {
  const r = await one<{ policy_id: string }>(db, sql`UPDATE lethe.batches SET purge_ms = ${Math.round(ms)}
    WHERE id = ${batchId} RETURNING policy_id`);
  return r?.policy_id;
}
