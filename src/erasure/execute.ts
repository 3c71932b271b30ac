// Carries out a recorded erasure request: every scan of its run, page by page, each page purged
// at once in its own transaction (erasure semantics: hold → keep, floor → restrict, else
// destroy). Resumable: a crash leaves open scans and batches that the next attempt finishes.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { one, rows, utcIso } from '../db/sql.ts';
import { runScan } from '../destroy/scan.ts';
import { executeBatch } from '../destroy/execute.ts';
import type { Enqueue } from '../pipeline/queues.ts';
import { openTasksForScan } from '../tasks/open.ts';
import { parseDuration, type Duration } from '../duration.ts';
import { finishRun } from '../pipeline/runs.ts';
import { replyText } from './reply.ts';
import { objectRuntime } from '../objects/service.ts';
import { drainRunObjects } from '../objects/drain.ts';
import { setStatus } from './requests.ts';
import type { ErasurePolicyOutcome, ErasureStatus } from './types.ts';

const DEFAULT_TASK_DUE = parseDuration('P30D')!;

export interface ErasureRunOptions {
  batchSize: number;
  /** The deadline of destruction tasks this request opens for paper and media (action manual). */
  taskDue?: Duration;
  /** Hands partner requests to their queues at once (the worker); without it the partner sweep does. */
  enqueue?: Enqueue;
}

export async function executeErasure(ctx: EngineContext, rules: Ruleset, requestId: string, opts: ErasureRunOptions): Promise<ErasureStatus> {
  const taskDue = opts.taskDue ?? DEFAULT_TASK_DUE;
  const req = await one<{ run_id: string; status: ErasureStatus; ticket: string; received_at: string; subject_ref: string }>(ctx.db, sql`SELECT run_id::text, status, ticket, subject_ref,
    ${utcIso(sql`received_at`)} AS received_at FROM lethe.erasure_requests WHERE id = ${requestId}`);
  if (!req) throw new Error(`erasure request ${requestId} does not exist`);
  if (req.status !== 'received' && req.status !== 'in_progress') return req.status;
  // Store credentials are checked before anything is destroyed.
  const objects = objectRuntime(rules);
  try {
    return await erase(ctx, rules, requestId, req, { ...opts, taskDue }, async () => {
      // The subject's files: each deleted, or attempted and left pending for `lethe worker`.
      await drainRunObjects(ctx, objects, req.run_id);
    });
  } finally {
    objects.close();
  }
}

async function erase(
  ctx: EngineContext, rules: Ruleset, requestId: string, req: { run_id: string; ticket: string; received_at: string; subject_ref: string },
  opts: ErasureRunOptions & { taskDue: Duration }, deleteObjects: () => Promise<void>,
): Promise<ErasureStatus> {
  await setStatus(ctx.db, requestId, 'in_progress');
  for (const b of await rows<{ id: string }>(ctx.db, sql`SELECT id::text FROM lethe.batches WHERE run_id = ${req.run_id} AND status = 'pending'`)) {
    await executeBatch(ctx, rules, b.id, opts.enqueue);
  }
  const scans = await rows<{ id: string; policy_id: string }>(ctx.db, sql`SELECT id::text, policy_id FROM lethe.scans
    WHERE run_id = ${req.run_id} AND status IN ('pending', 'running') ORDER BY policy_id`);
  for (const s of scans) {
    // Paper and media: the subject's due register lines go into destruction tasks for people.
    if (rules.get(s.policy_id)?.action.kind === 'manual') {
      await openTasksForScan(ctx, rules, s.id, opts.taskDue);
      continue;
    }
    // Each batch is purged as soon as it is cut: a subject's records are few.
    await runScan(ctx, rules, s.id, { batchSize: opts.batchSize, onBatch: async (batchId) => { await executeBatch(ctx, rules, batchId, opts.enqueue); } });
  }
  await deleteObjects();
  const policies = await outcomes(ctx, rules, requestId, req.run_id, req.subject_ref);
  const status: ErasureStatus = policies.some((p) => p.held > 0) ? 'held'
    : policies.some((p) => p.deferred > 0) ? 'partially_deferred' : 'completed';
  const now = ctx.clock.now();
  await setStatus(ctx.db, requestId, status, { outcome: { policies, reply: replyText(req.ticket, req.received_at, policies) }, completedAt: now });
  await finishRun(ctx.db, req.run_id, 'done', now);
  return status;
}

async function outcomes(ctx: EngineContext, rules: Ruleset, requestId: string, runId: string, subject: string): Promise<ErasurePolicyOutcome[]> {
  const done = new Map((await rows<Record<string, string>>(ctx.db, sql`SELECT policy_id, sum(destroyed)::text AS destroyed,
      sum(anonymised)::text AS anonymised, sum(held)::text AS held
    FROM lethe.batches WHERE run_id = ${runId} GROUP BY policy_id`)).map((r) => [r.policy_id!, r]));
  const kept = new Map((await rows<Record<string, string | null>>(ctx.db, sql`SELECT policy_id, count(*)::text AS n,
      ${utcIso(sql`max(until)`)} AS until, bool_or(until = 'infinity')::text AS open_ended
    FROM lethe.restrictions WHERE request_id = ${requestId} AND closed_at IS NULL GROUP BY policy_id`)).map((r) => [r.policy_id!, r]));
  // Lines of this subject waiting in destruction tasks, whichever scan put them there.
  const awaiting = new Map((await rows<{ policy_id: string; n: string }>(ctx.db, sql`SELECT policy_id, count(*)::text AS n
    FROM lethe.destruction_task_lines WHERE subject_ref = ${subject} AND state = 'open' GROUP BY policy_id`)).map((r) => [r.policy_id, Number(r.n)]));
  return rules.policies.map((p) => {
    const d = done.get(p.id);
    const k = kept.get(p.id);
    return {
      policy: p.id, title: p.title, category: p.category, action: p.action.kind,
      destroyed: Number(d?.destroyed ?? 0), anonymised: Number(d?.anonymised ?? 0),
      deferred: Number(k?.n ?? 0),
      // A floor whose clock has not started has no end date yet.
      until: k && k.open_ended === 'false' ? k.until ?? null : null,
      basis: k ? p.minimum?.basis ?? [] : [],
      held: Number(d?.held ?? 0),
      awaiting: awaiting.get(p.id) ?? 0,
    };
  }).filter((o) => o.destroyed + o.anonymised + o.deferred + o.held + (o.awaiting ?? 0) > 0);
}
