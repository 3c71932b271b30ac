// One BullMQ queue and worker per partner (`partner-<id>`), each with the partner's
// max_concurrency as the queue's global concurrency — the limit holds across every worker
// process, and a partner that times out ties up only its own slots: another partner's requests
// never wait behind it. (BullMQ's open-source edition has no per-key groups; a queue per
// partner is the group.) Jobs carry the request id and partner id only.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../pipeline/redis.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import type { JobContext, JobRegistry } from '../pipeline/workers.ts';
import { partnerQueueName, type JobPayloads, type Queues } from '../pipeline/queues.ts';
import type { PartnerRuntime } from './deliver.ts';

const STALL_LOCK_MS = 10_000;

export interface PartnerWorkers {
  close(): Promise<void>;
  readonly workers: Worker[];
}

export async function startPartnerWorkers(
  base: Omit<JobContext, 'job' | 'signal' | 'log' | 'partners'> & { log: Logger },
  registry: JobRegistry, runtime: PartnerRuntime, opts: { connection: RedisClient; prefix: string; queues: Queues },
): Promise<PartnerWorkers> {
  const abort = new AbortController();
  const processor = registry['notify-partner'];
  const workers: Worker[] = [];
  for (const partner of runtime.registry.partners) {
    await opts.queues.partnerQueue(partner.id).setGlobalConcurrency(partner.maxConcurrency);
    const w = new Worker(partnerQueueName(partner.id), async (job: Job) => {
      if (job.name !== 'notify-partner') throw new UnrecoverableError(`unknown job "${job.name}" on queue ${partnerQueueName(partner.id)}`);
      const log = base.log.child({ job: job.name, jobId: job.id, partner: partner.id });
      const ctx: JobContext = {
        ...base, log, signal: abort.signal, partners: runtime,
        job: { id: String(job.id), attemptsMade: job.attemptsMade, attempts: 1, isLastAttempt: true },
      };
      try {
        return await processor(job.data as JobPayloads['notify-partner'], ctx);
      } catch (e) {
        // The row is still pending: the sweep retries it once its lease runs out.
        const message = describeError(e);
        log.warn({ err: message }, 'partner delivery job failed');
        throw new Error(message);
      }
    }, {
      connection: opts.connection, prefix: opts.prefix, concurrency: partner.maxConcurrency,
      removeOnComplete: { count: 0 }, removeOnFail: { count: 0 },
      // A dead worker's active jobs hold the partner's global concurrency slots until BullMQ
      // declares them stalled: keep that short (the lock is renewed while a job runs).
      lockDuration: STALL_LOCK_MS, stalledInterval: STALL_LOCK_MS / 2,
    });
    w.on('error', (err) => base.log.error({ err: describeError(err), partner: partner.id }, 'partner worker error'));
    workers.push(w);
  }
  return {
    workers,
    async close() {
      abort.abort();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
