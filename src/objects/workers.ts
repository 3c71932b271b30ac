// One BullMQ queue and worker per object store (`store-<id>`), each with the store's
// max_concurrency as the queue's global concurrency (src/pipeline/own-queues.ts): one store's
// outage never delays another's deletions. Jobs carry the deletion id and store id only.
import type { RedisClient } from '../pipeline/redis.ts';
import type { Logger } from '../log.ts';
import type { JobContext, JobRegistry } from '../pipeline/workers.ts';
import { storeQueueName, type Queues } from '../pipeline/queues.ts';
import { startOwnQueueWorkers, type OwnQueueWorkers } from '../pipeline/own-queues.ts';
import type { ObjectRuntime } from './deliver.ts';

export async function startObjectWorkers(
  base: Omit<JobContext, 'job' | 'signal' | 'log' | 'objects'> & { log: Logger },
  registry: JobRegistry, runtime: ObjectRuntime, opts: { connection: RedisClient; prefix: string; queues: Queues },
): Promise<OwnQueueWorkers> {
  const targets = runtime.stores.stores.map((s) => ({ label: 'store', id: s.id, queueName: storeQueueName(s.id), concurrency: s.maxConcurrency }));
  return startOwnQueueWorkers({ ...base, objects: runtime }, 'delete-object', registry['delete-object'], targets,
    { ...opts, queueOf: (id) => opts.queues.storeQueue(id) });
}
