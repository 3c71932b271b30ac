// One BullMQ queue and worker per partner (`partner-<id>`), each with the partner's
// max_concurrency as the queue's global concurrency (src/pipeline/own-queues.ts). Jobs carry
// the request id and partner id only.
import type { RedisClient } from '../pipeline/redis.ts';
import type { Logger } from '../log.ts';
import type { JobContext, JobRegistry } from '../pipeline/workers.ts';
import { partnerQueueName, type Queues } from '../pipeline/queues.ts';
import { startOwnQueueWorkers, type OwnQueueWorkers } from '../pipeline/own-queues.ts';
import type { PartnerRuntime } from './deliver.ts';

export type PartnerWorkers = OwnQueueWorkers;

export async function startPartnerWorkers(
  base: Omit<JobContext, 'job' | 'signal' | 'log' | 'partners'> & { log: Logger },
  registry: JobRegistry, runtime: PartnerRuntime, opts: { connection: RedisClient; prefix: string; queues: Queues },
): Promise<PartnerWorkers> {
  const targets = runtime.registry.partners.map((p) => ({ label: 'partner', id: p.id, queueName: partnerQueueName(p.id), concurrency: p.maxConcurrency }));
  return startOwnQueueWorkers({ ...base, partners: runtime }, 'notify-partner', registry['notify-partner'], targets,
    { ...opts, queueOf: (id) => opts.queues.partnerQueue(id) });
}
