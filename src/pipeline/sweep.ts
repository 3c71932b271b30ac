// One full pass: a run, a scan per policy, in-process workers, and a wait on PostgreSQL (not
// on Redis) until every scan and batch of the run is closed. Lost jobs are re-enqueued.
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Config } from '../config.ts';
import { createRun, createPolicyScans, finishRun, runProgress, runTotals, type PolicyTotals } from './runs.ts';
import { Queues, redisConnection } from './queues.ts';
import { startWorkers, type JobRegistry } from './workers.ts';
import { reenqueueOpenWork } from './reconcile.ts';
import { linesTasked } from '../tasks/open.ts';
import { countDeferred, countDueAndHeld, countRestricted, type PolicyCounts } from '../plan/plan.ts';
import { objectRuntime } from '../objects/service.ts';
import { drainRunObjects, type DrainResult } from '../objects/drain.ts';

export interface SweepOptions {
  policyIds?: string[];
  actor: string;
  /** Called about every 200 ms while the sweep runs (progress bar on a TTY). */
  onProgress?: (p: { batchesOpen: number; totals: PolicyTotals[] }) => void;
  /** How long an open scan or batch may go without a job before it is enqueued again. */
  reconcileGraceMs?: number;
}

export interface SweepResult {
  runId: string;
  /** Files of what this sweep destroyed: deleted, or attempted and left to `lethe worker`. */
  objects: DrainResult;
  /** `tasked`: manual policies only, register rows this sweep put into destruction tasks. */
  policies: (PolicyCounts & { children: number; skipped: number; tasked?: number })[];
}

/** At most this often the sweep looks at its run's progress: after a job ends, or when idle. */
const CHECK_MS = 100;
const IDLE_MS = 1000;
/** How often the progress callback (a bar on a terminal) is given fresh totals. */
const PROGRESS_MS = 250;

export async function sweep(
  ctx: EngineContext, rules: Ruleset, config: Config, registry: JobRegistry, opts: SweepOptions,
): Promise<SweepResult> {
  const chosen = rules.policies.filter((p) => !opts.policyIds || opts.policyIds.includes(p.id));
  // Store credentials are checked before anything is destroyed.
  const objects = objectRuntime(rules);
  const now = ctx.clock.now();
  const runId = await createRun(ctx.db, { kind: 'sweep', trigger: 'expiry', actor: opts.actor, at: now });
  const connection = redisConnection(config.redisUrl);
  const queues = new Queues(connection, config.queuePrefix);
  const workers = startWorkers(
    { ...ctx, rules, config, enqueue: queues.enqueue },
    registry,
    { connection, prefix: config.queuePrefix, queues: ['scan', 'purge'], concurrency: config.concurrency },
  );
  try {
    for (const p of chosen) {
      for (const scanId of await createPolicyScans(ctx.db, runId, p, now)) {
        await queues.enqueue('scan-policy', { policyId: p.id, scanId }, scanId);
      }
    }
    const grace = opts.reconcileGraceMs ?? 5000;
    let lastReconcile = Date.now();
    let lastProgress = 0;
    // PostgreSQL says when the run is done; a job ending is only the cue to look (and a lost job
    // never ends, so the sweep also looks when idle, and re-enqueues what Redis lost).
    let wake: (() => void) | undefined;
    const nudge = () => wake?.();
    for (const w of workers.workers) {
      w.on('completed', nudge);
      w.on('failed', nudge);
    }
    for (;;) {
      const checked = Date.now();
      const progress = await runProgress(ctx.db, runId);
      if (opts.onProgress && checked - lastProgress >= PROGRESS_MS) {
        lastProgress = checked;
        opts.onProgress({ batchesOpen: progress.batchesOpen, totals: await runTotals(ctx.db, runId) });
      }
      if (progress.scansOpen === 0 && progress.batchesOpen === 0) break;
      if (Date.now() - lastReconcile > grace) {
        await reenqueueOpenWork(ctx, queues.requeue, grace);
        lastReconcile = Date.now();
      }
      await new Promise<void>((resolve) => {
        const idle = setTimeout(resolve, IDLE_MS);
        wake = () => { clearTimeout(idle); resolve(); };
      });
      wake = undefined;
      await new Promise((r) => setTimeout(r, Math.max(0, CHECK_MS - (Date.now() - checked))));
    }
  } finally {
    await workers.close();
    await queues.close();
    connection.disconnect();
  }
  // The contract: a sweep returns once each file of what it destroyed was deleted or failed an attempt.
  let objectResult: DrainResult;
  try {
    objectResult = await drainRunObjects(ctx, objects, runId);
  } finally {
    objects.close();
  }
  const totals = new Map((await runTotals(ctx.db, runId)).map((t) => [t.policyId, t]));
  const policies: SweepResult['policies'] = [];
  for (const p of chosen) {
    const t = totals.get(p.id);
    const destroyed = t?.destroyed ?? 0;
    const anonymised = t?.anonymised ?? 0;
    const failed = t?.failed ?? 0;
    // A manual policy destroys nothing itself: its due register rows went into destruction tasks.
    const tasked = p.action.kind === 'manual' ? await linesTasked(ctx.db, runId, p.id) : 0;
    policies.push({
      id: p.id, action: p.action.kind,
      due: destroyed + anonymised + failed + tasked,
      ...(p.action.kind === 'manual' ? { tasked } : {}),
      // A manual policy's held register rows stay out of every task and so out of lethe.batches.
      held: p.action.kind === 'manual' ? (await countDueAndHeld(ctx, rules, p, { now })).held : t?.held ?? 0,
      deferred: await countDeferred(ctx.db, rules, p, { now }),
      restricted: await countRestricted(ctx.db, rules, p, { now }),
      destroyed, anonymised, failed,
      children: t?.children ?? 0,
      skipped: t?.skipped ?? 0,
    });
  }
  await finishRun(ctx.db, runId, policies.some((p) => p.failed > 0) ? 'failed' : 'done', ctx.clock.now());
  return { runId, objects: objectResult, policies };
}
