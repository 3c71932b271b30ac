// The partner half of `lethe worker`: per-partner delivery workers plus a periodic sweep that
// re-enqueues pending requests whose jobs were lost (a crash mid-delivery, a Redis flush) and
// chases overdue confirmations. Leader-free: every step is safe to run from several workers.
import type { RedisClient } from '../pipeline/redis.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import type { JobContext, JobRegistry } from '../pipeline/workers.ts';
import type { Queues } from '../pipeline/queues.ts';
import { DEFAULT_DELIVERY, type DeliveryOptions, type PartnerRuntime } from './deliver.ts';
import { assertPartnerSecrets, loadPartnerRegistry, type PartnerRegistry } from './registry.ts';
import { startPartnerWorkers } from './workers.ts';
import { chaseOverdue, enqueueDueRequests } from './sweep.ts';
import { syncTerminations } from './terminate.ts';

type Base = Omit<JobContext, 'job' | 'signal' | 'log' | 'partners'> & { log: Logger };

export interface PartnerService {
  readonly runtime: PartnerRuntime;
  /** One sweep now (also run every `config.partnerSweepEvery`). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

function everyMs(base: Base): number {
  const d = base.config.partnerSweepEvery;
  return Math.max(1000, ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000);
}

export async function startPartnerService(
  base: Base, jobs: JobRegistry, opts: { connection: RedisClient; prefix: string; queues: Queues; registry?: PartnerRegistry; delivery?: Partial<DeliveryOptions> },
): Promise<PartnerService> {
  const registry = opts.registry ?? loadPartnerRegistry(base.config.partnersFile);
  const delivery = { ...DEFAULT_DELIVERY, ...opts.delivery };
  assertPartnerSecrets(registry, delivery.secrets);
  const runtime: PartnerRuntime = { registry, delivery };
  const workers = await startPartnerWorkers(base, jobs, runtime, opts);
  const interval = everyMs(base);
  // A pending row is left alone for one interval: its own job normally takes it first.
  const sweep = async () => {
    await syncTerminations(base, base.rules, registry, 'system:partner-registry');
    // requeue: a finished job of the same id (kept for the dashboard) must not block the attempt.
    const n = await enqueueDueRequests(base, opts.queues.requeue, interval);
    if (n > 0) base.log.warn({ requests: n }, 're-enqueued partner requests whose delivery jobs were missing');
    await chaseOverdue(base, opts.queues.requeue);
  };
  const timer = setInterval(() => void sweep().catch((e) => base.log.error({ err: describeError(e) }, 'partner sweep failed')), interval);
  base.log.info({ partners: registry.partners.length, file: registry.file }, 'partner delivery started');
  return {
    runtime,
    sweep,
    async stop() {
      clearInterval(timer);
      await workers.close();
    },
  };
}
