// The object half of `lethe worker`, run in the test until no deletion is pending: what a test
// needs once a sweep has left files to retry (a store that was down, or refuses).
import { sql } from 'drizzle-orm';
import { count, waitFor } from '../helpers.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';
import { startObjectService } from '../../src/objects/service.ts';
import { registry } from '../../jobs/index.ts';
import type { ObjectDeliveryOptions } from '../../src/objects/deliver.ts';
import type { Config } from '../../src/config.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

export async function settleObjects(
  ctx: EngineContext, rules: Ruleset, cfg: Config, delivery: Partial<ObjectDeliveryOptions>, what: string,
): Promise<void> {
  const connection = redisConnection(cfg.redisUrl);
  const queues = new Queues(connection, cfg.queuePrefix);
  const service = await startObjectService({ ...ctx, rules, config: cfg, enqueue: queues.enqueue }, registry,
    { connection, prefix: cfg.queuePrefix, queues, everyMs: 200, delivery });
  try {
    await waitFor(async () => (await count(ctx.db, 'lethe.object_deletions', sql`status = 'pending'`)) === 0, 30_000, what);
  } finally {
    await service.stop();
    await queues.close();
    connection.disconnect();
  }
}
