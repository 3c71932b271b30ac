// One BullMQ queue and worker per target (a partner, an object store), each with the target's
// concurrency as the queue's global concurrency — the limit holds across every worker process,
// and a target that times out ties up only its own slots: another target's work never waits
// behind it. (BullMQ's open-source edition has no per-key groups; a queue per target is the
// group.) One attempt per job: the outbox row keeps attempts and backoff (attempts: 1).
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from './redis.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import type { JobContext } from './workers.ts';
import { KEEP_COMPLETED, KEEP_FAILED, type JobName, type JobPayloads, type Queues } from './queues.ts';

const STALL_LOCK_MS = 10_000;

export interface OwnQueueWorkers {
  close(): Promise<void>;
  readonly workers: Worker[];
}

export interface OwnQueueTarget {
  /** Logged beside the job (`partner`, `store`). */
  label: string;
  id: string;
  queueName: string;
  concurrency: number;
}

export async function startOwnQueueWorkers<K extends JobName>(
  base: Omit<JobContext, 'job' | 'signal' | 'log'> & { log: Logger }, jobName: K,
  processor: (data: JobPayloads[K], ctx: JobContext) => Promise<unknown>, targets: readonly OwnQueueTarget[],
  opts: { connection: RedisClient; prefix: string; queues: Queues; queueOf: (id: string) => ReturnType<Queues['queue']> },
): Promise<OwnQueueWorkers> {
  const abort = new AbortController();
  const workers: Worker[] = [];
  for (const target of targets) {
    await opts.queueOf(target.id).setGlobalConcurrency(target.concurrency);
    const w = new Worker(target.queueName, async (job: Job) => {
      if (job.name !== jobName) throw new UnrecoverableError(`unknown job "${job.name}" on queue ${target.queueName}`);
      const log = base.log.child({ job: job.name, jobId: job.id, [target.label]: target.id });
      const ctx: JobContext = {
        ...base, log, signal: abort.signal,
        job: { id: String(job.id), attemptsMade: job.attemptsMade, attempts: 1, isLastAttempt: true, ends: () => true },
      };
      try {
        return await processor(job.data as JobPayloads[K], ctx);
      } catch (e) {
        // The row is still pending: the periodic sweep retries it once its lease runs out.
        const message = describeError(e);
        log.warn({ err: message }, `${jobName} job failed`);
        throw new Error(message);
      }
    }, {
      connection: opts.connection, prefix: opts.prefix, concurrency: target.concurrency,
      removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED,
      // A dead worker's active jobs hold the target's global concurrency slots until BullMQ
      // declares them stalled: keep that short (the lock is renewed while a job runs).
      lockDuration: STALL_LOCK_MS, stalledInterval: STALL_LOCK_MS / 2,
    });
    w.on('error', (err) => base.log.error({ err: describeError(err), [target.label]: target.id }, `${jobName} worker error`));
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
