// The one map from job name to payload. Payloads carry ids of lethe's own rows and policy ids
// only: no business key, subject or value ever reaches Redis.
import { Queue, type JobsOptions } from 'bullmq';
import { QueueUnavailableError } from '../errors.ts';
import { redisClient, type RedisClient } from './redis.ts';
import { redactUrl } from '../redact.ts';

export interface JobPayloads {
  /** Scan one policy: for a sweep the scan row exists; a scheduler tick creates its own. */
  'scan-policy': { policyId: string; scanId?: string };
  /** Destroy one batch of records recorded in lethe.batches. */
  'purge-batch': { batchId: string };
  /** Carry out one erasure request recorded in lethe.erasure_requests. */
  'erase-subject': { requestId: string };
  /**
   * Deliver one partner purge request (lethe.partner_requests), or a reminder of it. The partner
   * id (a company, not a person) routes the job to that partner's own queue.
   */
  'notify-partner': { requestId: string; partnerId: string; reminder?: boolean };
  /**
   * Delete one file from object storage (lethe.object_deletions): the row's id and the store's
   * id (routing to the store's own queue), never the key or URI.
   */
  'delete-object': { deletionId: string; storeId: string };
}

export type JobName = keyof JobPayloads;
/**
 * `partners` stands for the per-partner queues `partner-<id>` (src/partners/workers.ts),
 * `objects` for the per-store queues `store-<id>` (src/objects/workers.ts).
 */
export type QueueName = 'scan' | 'purge' | 'partners' | 'objects';

export const QUEUE_OF: { readonly [K in JobName]: QueueName } = {
  'scan-policy': 'scan',
  'purge-batch': 'purge',
  'erase-subject': 'purge',
  'notify-partner': 'partners',
  'delete-object': 'objects',
};

export const QUEUE_NAMES: readonly QueueName[] = ['scan', 'purge', 'partners', 'objects'];

/**
 * What the queue dashboard (bull-board) can show: each queue's last finished jobs, bounded so
 * Redis does not grow. Keeping a finished job keeps its id taken, which is why work PostgreSQL
 * says is still open is put back with `requeue` (it removes a finished job of that id first).
 */
export const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 } as const;
export const KEEP_FAILED = { count: 1000, age: 7 * 24 * 3600 } as const;
const HISTORY = { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } as const;

const JOB_OPTIONS: { readonly [K in JobName]: JobsOptions } = {
  'scan-policy': { attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
  'purge-batch': { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
  'erase-subject': { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  // One attempt per job: the outbox row counts attempts and schedules the next one itself; the
  // periodic sweep puts a lost attempt back with `requeue`, which frees the id of a finished job.
  'notify-partner': { attempts: 1 },
  // Likewise: lethe.object_deletions keeps the attempts and the backoff.
  'delete-object': { attempts: 1 },
};

export type Enqueue = <K extends JobName>(name: K, data: JobPayloads[K], jobId?: string, opts?: { delayMs?: number }) => Promise<void>;

/** BullMQ queue names may not hold ':'; partner ids are kebab-case. */
export const partnerQueueName = (partnerId: string): string => `partner-${partnerId}`;
/** Store ids are kebab-case too. */
export const storeQueueName = (storeId: string): string => `store-${storeId}`;

export function redisConnection(url: string): RedisClient {
  // BullMQ workers need maxRetriesPerRequest: null (blocking commands must not time out).
  return redisClient(url, { maxRetriesPerRequest: null });
}

/** Fails fast, with how to start Redis, when nothing answers at REDIS_URL. */
export async function assertRedisAnswers(url: string, timeoutMs = 2000): Promise<void> {
  const probe = redisClient(url, { maxRetriesPerRequest: 0, connectTimeout: timeoutMs, lazyConnect: true, noReconnect: true });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    const { hostname, port } = new URL(url);
    throw new QueueUnavailableError(
      `Redis does not answer at ${redactUrl(url)} (REDIS_URL). Start one with:\n` +
      `  redis-server --daemonize yes --bind ${hostname || '127.0.0.1'} --port ${port || '6379'} --save "" --appendonly no\n` +
      `or point REDIS_URL at a running Redis.`);
  } finally {
    probe.disconnect();
  }
}

export { redactUrl };

export class Queues {
  private readonly queues: Map<QueueName, Queue>;

  constructor(readonly connection: RedisClient, readonly prefix: string) {
    this.queues = new Map(QUEUE_NAMES.map((q) => [q, new Queue(q, {
      connection, prefix,
      defaultJobOptions: HISTORY,
    })]));
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  /** Adds a job; with a jobId, adding one that already exists is a no-op (BullMQ dedupes by id). */
  private readonly ownQueues = new Map<string, Queue>();

  /** A partner's own queue, so one partner's outage or backlog never delays another's requests. */
  partnerQueue(partnerId: string): Queue {
    return this.ownQueue(partnerQueueName(partnerId));
  }

  /** A store's own queue, so one store's outage never delays deletions in another. */
  storeQueue(storeId: string): Queue {
    return this.ownQueue(storeQueueName(storeId));
  }

  private ownQueue(name: string): Queue {
    let q = this.ownQueues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: HISTORY });
      this.ownQueues.set(name, q);
    }
    return q;
  }

  private target<K extends JobName>(name: K, data: JobPayloads[K]): Queue {
    if (name === 'notify-partner') return this.partnerQueue((data as JobPayloads['notify-partner']).partnerId);
    if (name === 'delete-object') return this.storeQueue((data as JobPayloads['delete-object']).storeId);
    return this.queue(QUEUE_OF[name]);
  }

  readonly enqueue: Enqueue = async (name, data, jobId, opts) => {
    await this.target(name, data).add(name, data, {
      ...HISTORY, ...JOB_OPTIONS[name], ...(jobId ? { jobId } : {}), ...(opts?.delayMs ? { delay: Math.max(0, opts.delayMs) } : {}),
    });
  };

  /**
   * Enqueues work PostgreSQL says is still open. A job of that id that failed or completed in
   * Redis (e.g. failed by BullMQ after its workers were killed twice mid-job, so the processor
   * never closed its row) is removed first: otherwise its id would block the work forever. So is
   * one no list holds (`unknown`): what is left of a job whose other keys Redis lost.
   */
  readonly requeue: Enqueue = async (name, data, jobId, opts) => {
    if (jobId) {
      const old = await this.target(name, data).getJob(jobId);
      const state = old ? await old.getState() : undefined;
      if (old && (state === 'failed' || state === 'completed' || state === 'unknown')) await old.remove().catch(() => {});
    }
    await this.enqueue(name, data, jobId, opts);
  };

  async close(): Promise<void> {
    await Promise.all([...this.queues.values(), ...this.ownQueues.values()].map((q) => q.close()));
  }
}
