// In-process BullMQ workers that dispatch by job name to a registry handed in by the caller
// (jobs/index.ts): the engine never imports jobs/. An unknown job name fails loudly.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from './redis.ts';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import { isPermanent } from '../errors.ts';
import type { PartnerRuntime } from '../partners/deliver.ts';
import type { ObjectRuntime } from '../objects/deliver.ts';
import { KEEP_COMPLETED, KEEP_FAILED, QUEUE_OF, type Enqueue, type JobName, type JobPayloads, type QueueName } from './queues.ts';

export interface JobContext extends EngineContext {
  readonly rules: Ruleset;
  readonly config: Config;
  readonly enqueue: Enqueue;
  /** Aborted when the worker is closing: long jobs stop between batches. */
  readonly signal: AbortSignal;
  /** The BullMQ job being processed: processors close their rows as failed on the last attempt. */
  readonly job: {
    id: string; attemptsMade: number; attempts: number; isLastAttempt: boolean;
    /** This failure ends the job: its last attempt, or one no retry can mend (isPermanent): close its rows as failed. */
    ends(e: unknown): boolean;
  };
  /** The partner registry and delivery settings: set on the partner workers (src/partners/workers.ts). */
  readonly partners?: PartnerRuntime;
  /** The object stores and their clients: set on the store workers (src/objects/workers.ts). */
  readonly objects?: ObjectRuntime;
}

export type Processor<K extends JobName> = (data: JobPayloads[K], ctx: JobContext) => Promise<unknown>;
export type JobRegistry = { readonly [K in JobName]: Processor<K> };

export interface WorkerSet {
  close(): Promise<void>;
  readonly workers: Worker[];
}

export interface WorkerOptions {
  connection: RedisClient;
  prefix: string;
  queues: readonly QueueName[];
  concurrency: number;
}

export function startWorkers(
  base: Omit<JobContext, 'job' | 'signal' | 'log'> & { log: Logger },
  registry: JobRegistry,
  opts: WorkerOptions,
): WorkerSet {
  const abort = new AbortController();
  const workers = opts.queues.map((queue) => new Worker(queue, async (job: Job) => {
    const name = job.name as JobName;
    const processor = registry[name] as Processor<JobName> | undefined;
    if (!processor || QUEUE_OF[name] !== queue) {
      throw new UnrecoverableError(`unknown job "${job.name}" on queue ${queue}: no processor is registered for it`);
    }
    const attempts = job.opts.attempts ?? 1;
    const log = base.log.child({ job: name, jobId: job.id });
    const ctx: JobContext = {
      ...base, log, signal: abort.signal,
      job: { id: String(job.id), attemptsMade: job.attemptsMade, attempts, isLastAttempt: job.attemptsMade + 1 >= attempts,
        ends: (e) => job.attemptsMade + 1 >= attempts || isPermanent(e) },
    };
    try {
      return await processor(job.data as JobPayloads[JobName], ctx);
    } catch (e) {
      // Stored in Redis and logged: keep it free of values (PostgreSQL's detail quotes keys).
      const message = describeError(e);
      log.warn({ err: message, attempt: job.attemptsMade + 1, attempts }, 'job failed');
      if (isPermanent(e)) throw new UnrecoverableError(message);
      throw new Error(message);
    }
  }, {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: queue === 'purge' ? opts.concurrency : Math.max(1, Math.min(opts.concurrency, 2)),
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  }));
  for (const w of workers) w.on('error', (err) => base.log.error({ err: describeError(err) }, 'worker error'));
  return {
    workers,
    async close() {
      abort.abort();
      // Waits for active jobs: a purge in flight commits or rolls back before we exit.
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
