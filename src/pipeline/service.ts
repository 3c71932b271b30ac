// The long-running worker: BullMQ workers, one job scheduler per policy (kept by a single
// leader), and a periodic re-enqueue of open work whose jobs Redis lost.
import pg from 'pg';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Config } from '../config.ts';
import { durationMs } from '../duration.ts';
import { LOCKS } from '../db/sql.ts';
import { describeError } from '../log.ts';
import { KEEP_COMPLETED, KEEP_FAILED, Queues, redisConnection, type QueueName } from './queues.ts';
import { startWorkers, type JobRegistry } from './workers.ts';
import { reenqueueOpenWork } from './reconcile.ts';
import { closeFinishedScheduledRuns } from './runs.ts';
import { startPartnerService } from '../partners/service.ts';
import { startObjectService } from '../objects/service.ts';
import { expireStalePurgeRequests } from '../purge/requests.ts';
import { pruneEvidence } from '../evidence/prune.ts';

export const SCHEDULER_PREFIX = 'scan:';

export interface WorkerService {
  stop(): Promise<void>;
}

/** True when Redis lacks the scheduler of a loaded policy (flushed, or restarted without persistence). */
export async function schedulersMissing(queues: Queues, rules: Ruleset): Promise<boolean> {
  const have = new Set((await queues.queue('scan').getJobSchedulers()).map((s) => s.key));
  return rules.policies.some((p) => !have.has(`${SCHEDULER_PREFIX}${p.id}`));
}

/** Upserts a scheduler per loaded policy and removes those of policies no longer loaded. */
export async function syncSchedulers(queues: Queues, rules: Ruleset, everyMs: number): Promise<void> {
  const scan = queues.queue('scan');
  const wanted = new Set(rules.policies.map((p) => `${SCHEDULER_PREFIX}${p.id}`));
  for (const p of rules.policies) {
    await scan.upsertJobScheduler(`${SCHEDULER_PREFIX}${p.id}`, { every: everyMs }, {
      name: 'scan-policy', data: { policyId: p.id },
      opts: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    });
  }
  for (const s of await scan.getJobSchedulers()) {
    if (s.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(s.key)) await scan.removeJobScheduler(s.key);
  }
}

export async function startWorkerService(
  ctx: EngineContext, rules: Ruleset, config: Config, registry: JobRegistry, queueNames: readonly QueueName[],
): Promise<WorkerService> {
  const connection = redisConnection(config.redisUrl);
  const queues = new Queues(connection, config.queuePrefix);
  // Object deletion: a queue and worker per store of the registry (src/objects/workers.ts).
  // First, so a store it refuses (credentials unset, versioning mismatch) stops the start.
  const objects = queueNames.includes('objects')
    ? await startObjectService({ ...ctx, rules, config, enqueue: queues.enqueue }, registry,
      { connection, prefix: config.queuePrefix, queues, everyMs: durationMs(config.reconcileEvery) })
      .catch(async (e: unknown) => {
        await queues.close();
        connection.disconnect();
        throw e;
      })
    : undefined;
  const workers = startWorkers({ ...ctx, rules, config, enqueue: queues.enqueue }, registry,
    { connection, prefix: config.queuePrefix, queues: queueNames.filter((q) => q !== 'partners' && q !== 'objects'), concurrency: config.concurrency });
  // Partner delivery: a queue and worker per partner of the registry (src/partners/workers.ts).
  const partners = queueNames.includes('partners')
    ? await startPartnerService({ ...ctx, rules, config, enqueue: queues.enqueue }, registry, { connection, prefix: config.queuePrefix, queues })
    : undefined;
  // Leadership is a session advisory lock on a connection of its own: it ends with the process,
  // or with that connection (terminated, failover): then this worker reconnects and tries again.
  let leaderClient: pg.Client | undefined;
  let leader = false;
  const leaderConnection = async (): Promise<pg.Client> => {
    if (leaderClient) return leaderClient;
    const c = new pg.Client({ connectionString: config.databaseUrl, application_name: 'lethe leader' });
    c.on('error', () => {});
    c.on('end', () => {
      if (leaderClient !== c) return;
      leaderClient = undefined;
      leader = false;
    });
    await c.connect();
    leaderClient = c;
    return c;
  };
  const scanEveryMs = durationMs(config.scanEvery);
  const tryLead = async () => {
    try {
      if (!leader) {
        const r = await (await leaderConnection()).query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCKS.schedulerLeader]);
        leader = r.rows[0]!.ok;
        if (leader) {
          await syncSchedulers(queues, rules, scanEveryMs);
          ctx.log.info({ policies: rules.policies.length }, 'leading: job schedulers in place');
        }
      } else if (await schedulersMissing(queues, rules)) {
        // Redis lost its keys: without this no policy would be scanned again until a restart.
        await syncSchedulers(queues, rules, scanEveryMs);
        ctx.log.warn({ policies: rules.policies.length }, 'job schedulers were missing from Redis: put back');
      }
    } catch (e) {
      ctx.log.error({ err: describeError(e) }, 'leader election failed; will retry');
    }
  };
  await tryLead();
  const reconcileMs = durationMs(config.reconcileEvery);
  const leaderTimer = setInterval(() => void tryLead(), reconcileMs);
  // Evidence older than LETHE_EVIDENCE_RETAIN (≥ 3 years) goes once a day, whichever worker gets there.
  let lastPrune = 0;
  const pruneDaily = async () => {
    if (Date.now() - lastPrune < 86_400_000) return;
    lastPrune = Date.now();
    const r = await pruneEvidence(ctx, config.evidenceRetain, 'lethe:worker');
    if (r.records > 0) ctx.log.info({ records: r.records, seals: r.seals, cutoff: r.cutoff }, 'pruned evidence past its retention');
  };
  let maintaining = false;
  const maintenanceTimer = setInterval(() => {
    // A short LETHE_RECONCILE_EVERY must not stack passes on a slow database.
    if (maintaining) return;
    maintaining = true;
    reenqueueOpenWork(ctx, queues.requeue, 2 * reconcileMs)
      .then((n) => n > 0 && ctx.log.warn({ jobs: n }, 're-enqueued open work whose jobs were missing'))
      .then(() => closeFinishedScheduledRuns(ctx.db, new Date()))
      .then(() => expireStalePurgeRequests(ctx.db, ctx.clock.now()))
      .then(() => pruneDaily())
      .catch((e) => ctx.log.error({ err: describeError(e) }, 'maintenance failed'))
      .finally(() => (maintaining = false));
  }, reconcileMs);
  return {
    async stop() {
      clearInterval(leaderTimer);
      clearInterval(maintenanceTimer);
      await workers.close();
      await partners?.stop();
      await objects?.stop();
      await queues.close();
      connection.disconnect();
      const c = leaderClient;
      leaderClient = undefined;
      await c?.end().catch(() => {});
    },
  };
}
