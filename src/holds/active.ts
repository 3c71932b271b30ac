import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';

/** Subject refs under an active hold that applies to this policy (all-policy holds included). */
export async function heldSubjects(db: Executor, policyId: string): Promise<Set<string>> {
  const r = await rows<{ subject_ref: string }>(db, sql`SELECT DISTINCT subject_ref FROM lethe.holds
    WHERE released_at IS NULL AND (policy_id IS NULL OR policy_id = ${policyId})`);
  return new Set(r.map((x) => x.subject_ref));
}
