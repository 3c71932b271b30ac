// The queue dashboard shows what was done: finished jobs stay in Redis, bounded in number and
// age. A kept job keeps its id taken, so work PostgreSQL says is still open goes back through
// `requeue`, which frees the id first (the partner sweep's lost attempts included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { createQueuePrefix, REDIS_URL, waitFor } from '../helpers.ts';
import { KEEP_COMPLETED, KEEP_FAILED, Queues, redisConnection } from '../../src/pipeline/queues.ts';
import type { RedisClient } from '../../src/pipeline/redis.ts';

let q: ReturnType<typeof createQueuePrefix>;
let connection: RedisClient;
let queues: Queues;
beforeAll(() => {
  q = createQueuePrefix('history');
  connection = redisConnection(REDIS_URL);
  queues = new Queues(connection, q.prefix);
});
afterAll(async () => {
  await queues.close();
  connection.disconnect();
  await q.cleanup();
});

describe('finished jobs for the dashboard', () => {
  it('are kept, bounded by count and age', () => {
    for (const name of ['scan', 'purge'] as const) {
      expect(queues.queue(name).defaultJobOptions).toMatchObject({ removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED });
    }
    expect(queues.partnerQueue('bureau').defaultJobOptions).toMatchObject({ removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED });
    expect(KEEP_COMPLETED.count).toBeGreaterThan(0);
    expect(KEEP_COMPLETED.age).toBeLessThanOrEqual(7 * 86_400);
  });

  it('a completed job stays visible; requeue frees its id for open work, enqueue alone would not', async () => {
    const worker = new Worker('partner-bureau', async () => ({ kind: 'sent' }), { connection, prefix: q.prefix, concurrency: 1 });
    try {
      await queues.enqueue('notify-partner', { requestId: 'r1', partnerId: 'bureau' }, 'r1.0');
      const queue = queues.partnerQueue('bureau');
      await waitFor(async () => (await queue.getJob('r1.0'))?.finishedOn !== undefined, 15_000, 'the job to complete');
      expect(await (await queue.getJob('r1.0'))!.getState()).toBe('completed');
      await worker.pause();
      await queues.enqueue('notify-partner', { requestId: 'r1', partnerId: 'bureau' }, 'r1.0');
      expect(await (await queue.getJob('r1.0'))!.getState()).toBe('completed');
      await queues.requeue('notify-partner', { requestId: 'r1', partnerId: 'bureau' }, 'r1.0');
      expect(await (await queue.getJob('r1.0'))!.getState()).toMatch(/^(waiting|prioritized|paused)$/);
    } finally {
      await worker.close();
    }
  });
});
