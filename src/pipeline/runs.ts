// Runs, scans and batches live in PostgreSQL: it is the truth. Redis only carries their ids.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';
import type { ScanMode } from '../destroy/scan.ts';

/** `task`: one paper/media destruction task, whose steps' evidence it carries (src/tasks/). */
export type RunKind = 'sweep' | 'scheduled' | 'erasure' | 'consent' | 'manual' | 'task';

export interface NewRun {
  kind: RunKind;
  trigger: string;
  actor: string;
  at: Date;
}

export async function createRun(db: Executor, run: NewRun): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`INSERT INTO lethe.runs (id, kind, trigger, actor, status, started_at)
    VALUES (${id}, ${run.kind}, ${run.trigger}, ${run.actor}, 'running', ${run.at})`);
  return id;
}

/** Records the policy file that drives a scan, so evidence's policy_version resolves to its text. */
export async function recordPolicyVersion(db: Executor, p: Policy): Promise<void> {
  await db.execute(sql`INSERT INTO lethe.policy_versions (policy_id, version, file_name, source)
    VALUES (${p.id}, ${p.version}, ${p.file}, ${p.text}) ON CONFLICT (policy_id, version) DO NOTHING`);
}

export interface ScanOptions {
  mode?: ScanMode;
  /** Raw subject id for `subject` and `erasure` scans; stored only while the scan is open. */
  subject?: string;
}

export async function createScan(db: Executor, runId: string, p: Policy, asOf: Date, opts: ScanOptions = {}): Promise<string> {
  await recordPolicyVersion(db, p);
  const id = randomUUID();
  await db.execute(sql`INSERT INTO lethe.scans (id, run_id, policy_id, policy_version, status, mode, subject, as_of, created_at)
    VALUES (${id}, ${runId}, ${p.id}, ${p.version}, 'pending', ${opts.mode ?? 'policy'}, ${opts.subject ?? null}, ${asOf}, ${new Date()})`);
  return id;
}

/**
 * The scans one pass over a policy needs: its own clock, and — when an erasure request left
 * records restricted under this policy — a scan of those, destroyed once their floor has run.
 */
export async function createPolicyScans(db: Executor, runId: string, p: Policy, asOf: Date): Promise<string[]> {
  const ids = [await createScan(db, runId, p, asOf)];
  const open = await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM lethe.restrictions
    WHERE policy_id = ${p.id} AND closed_at IS NULL`);
  if (Number(open[0]!.n) > 0) ids.push(await createScan(db, runId, p, asOf, { mode: 'restricted' }));
  return ids;
}

export interface RunProgress {
  scansOpen: number;
  batchesOpen: number;
}

export async function runProgress(db: Executor, runId: string): Promise<RunProgress> {
  const [r] = await rows<{ scans: string; batches: string }>(db, sql`SELECT
    (SELECT count(*) FROM lethe.scans WHERE run_id = ${runId} AND status IN ('pending', 'running'))::text AS scans,
    (SELECT count(*) FROM lethe.batches WHERE run_id = ${runId} AND status = 'pending')::text AS batches`);
  return { scansOpen: Number(r!.scans), batchesOpen: Number(r!.batches) };
}

export async function finishRun(db: Executor, runId: string, status: 'done' | 'failed', at: Date): Promise<void> {
  await db.execute(sql`UPDATE lethe.runs SET status = ${status}, finished_at = ${at} WHERE id = ${runId}`);
}

export interface PolicyTotals {
  policyId: string;
  destroyed: number;
  anonymised: number;
  children: number;
  held: number;
  skipped: number;
  failed: number;
  batches: number;
}

export async function runTotals(db: Executor, runId: string): Promise<PolicyTotals[]> {
  const r = await rows<Record<string, string>>(db, sql`SELECT policy_id,
      sum(destroyed)::text AS destroyed, sum(anonymised)::text AS anonymised, sum(children)::text AS children,
      sum(held)::text AS held, sum(skipped)::text AS skipped,
      sum(CASE WHEN status = 'failed' THEN size ELSE failed END)::text AS failed, count(*)::text AS batches
    FROM lethe.batches WHERE run_id = ${runId} GROUP BY policy_id`);
  return r.map((x) => ({
    policyId: x.policy_id!,
    destroyed: Number(x.destroyed), anonymised: Number(x.anonymised), children: Number(x.children),
    held: Number(x.held), skipped: Number(x.skipped), failed: Number(x.failed), batches: Number(x.batches),
  }));
}

/** Scans and batches still open and created (wall time) before `before`: their jobs may have been lost. */
export async function openWork(db: Executor, before: Date, limit = 5000): Promise<{ scans: { id: string; policyId: string }[]; batches: string[] }> {
  const scans = await rows<{ id: string; policy_id: string }>(db, sql`SELECT id::text, policy_id FROM lethe.scans
    WHERE status IN ('pending', 'running') AND created_at < ${before} ORDER BY created_at LIMIT ${limit}`);
  const batches = await rows<{ id: string }>(db, sql`SELECT id::text FROM lethe.batches
    WHERE status = 'pending' AND created_at < ${before} ORDER BY created_at LIMIT ${limit}`);
  return { scans: scans.map((s) => ({ id: s.id, policyId: s.policy_id })), batches: batches.map((b) => b.id) };
}

/** Scheduled runs whose scans and batches are all closed are marked done (the worker's tick). */
export async function closeFinishedScheduledRuns(db: Executor, at: Date): Promise<number> {
  const closed = await rows<{ id: string }>(db, sql`UPDATE lethe.runs r SET status = 'done', finished_at = ${at}
    WHERE r.kind = 'scheduled' AND r.status = 'running'
      AND NOT EXISTS (SELECT 1 FROM lethe.scans s WHERE s.run_id = r.id AND s.status IN ('pending', 'running'))
      AND NOT EXISTS (SELECT 1 FROM lethe.batches b WHERE b.run_id = r.id AND b.status = 'pending')
    RETURNING r.id::text`);
  return closed.length;
}
