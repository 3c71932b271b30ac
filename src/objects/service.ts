// The object half of `lethe worker`: a queue and worker per store plus a periodic sweep that
// re-enqueues pending deletions whose jobs were lost. Before anything starts, every store's
// credentials must be set, and a store declared unversioned must not sit on a versioned bucket
// (a plain DELETE there leaves every old version behind).
import type { RedisClient } from '../pipeline/redis.ts';
import type { Logger } from '../log.ts';
import { ConfigError } from '../errors.ts';
import { describeError } from '../log.ts';
import type { JobContext, JobRegistry } from '../pipeline/workers.ts';
import type { Queues } from '../pipeline/queues.ts';
import { bucketVersioning } from './client.ts';
import { DEFAULT_OBJECT_DELIVERY, ObjectRuntime, type ObjectDeliveryOptions } from './deliver.ts';
import { assertStoreCredentials } from './stores.ts';
import { pointerColumnsByStore } from './shared.ts';
import type { Ruleset } from '../engine.ts';
import { startObjectWorkers } from './workers.ts';
import { enqueueDueDeletions } from './sweep.ts';

type Base = Omit<JobContext, 'job' | 'signal' | 'log' | 'objects'> & { log: Logger };

export interface ObjectService {
  readonly runtime: ObjectRuntime;
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Refuses a store declared `versioned: false` whose bucket has versioning on. A server that
 * cannot answer (no such API, no permission) is logged and let through.
 */
export async function assertVersioningMatches(runtime: ObjectRuntime, log: Logger): Promise<void> {
  for (const store of runtime.stores.stores) {
    const status = await bucketVersioning(runtime.client(store), store);
    if (!store.versioned && (status === 'Enabled' || status === 'Suspended')) {
      throw new ConfigError(`${runtime.stores.file}: store ${store.id} says versioned: false but bucket ${store.bucket} has versioning ${status}: a delete would leave every old version behind; set versioned: true`);
    }
    if (status === undefined) log.debug({ store: store.id }, 'the store did not say whether its bucket is versioned');
  }
}

/**
 * The stores and the policies' pointer columns (a file still pointed to is kept). Checks the
 * stores' credentials at once: a missing variable stops the process, not a deletion.
 */
export function objectRuntime(rules: Pick<Ruleset, 'stores' | 'policies'>, delivery: Partial<ObjectDeliveryOptions> = {}): ObjectRuntime {
  const options = { ...DEFAULT_OBJECT_DELIVERY, ...delivery };
  options.credentials ??= rules.stores.credentials;
  assertStoreCredentials(rules.stores, options.credentials);
  return new ObjectRuntime(rules.stores, pointerColumnsByStore(rules.policies), options);
}

export async function startObjectService(
  base: Base, jobs: JobRegistry, opts: { connection: RedisClient; prefix: string; queues: Queues; everyMs: number; delivery?: Partial<ObjectDeliveryOptions> },
): Promise<ObjectService> {
  const runtime = objectRuntime(base.rules, opts.delivery);
  await assertVersioningMatches(runtime, base.log);
  const workers = await startObjectWorkers(base, jobs, runtime, opts);
  // A pending row is left alone for one interval: its own job normally takes it first.
  const sweep = async () => {
    // requeue: a finished job of the same id (kept for the dashboard) must not block the attempt.
    const n = await enqueueDueDeletions(base, opts.queues.requeue, opts.everyMs);
    if (n > 0) base.log.info({ objects: n }, 'enqueued object deletions due for an attempt');
  };
  const timer = setInterval(() => void sweep().catch((e) => base.log.error({ err: describeError(e) }, 'object sweep failed')), opts.everyMs);
  if (runtime.stores.stores.length > 0) base.log.info({ stores: runtime.stores.stores.length, file: runtime.stores.file }, 'object deletion started');
  return {
    runtime,
    sweep,
    async stop() {
      clearInterval(timer);
      await workers.close();
      runtime.close();
    },
  };
}
