// Work PostgreSQL says is open, whose job BullMQ already failed (its workers were killed twice
// mid-job: "stalled more than allowable limit"), must be enqueued again: the failed job's id
// would otherwise swallow every re-enqueue, and an open scan blocks its policy's schedule.
import { afterAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { createQueuePrefix, REDIS_URL, waitFor } from '../helpers.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';

const q = createQueuePrefix('requeue');
const connection = redisConnection(REDIS_URL);
const queues = new Queues(connection, q.prefix);
afterAll(async () => {
  await queues.close();
  connection.disconnect();
  await q.cleanup();
});

it('requeue replaces a failed job of the same id; enqueue does not, nor does requeue a waiting one', async () => {
  const batchId = randomUUID();
  const purge = queues.queue('purge');
  const workerConnection = redisConnection(REDIS_URL);
  const worker = new Worker('purge', async () => {
    throw new UnrecoverableError('job stalled more than allowable limit');
  }, { connection: workerConnection, prefix: q.prefix });
  await queues.enqueue('purge-batch', { batchId }, batchId);
  await waitFor(async () => (await purge.getJob(batchId))?.finishedOn !== undefined, 10_000, 'the job to fail');
  await worker.close();
  workerConnection.disconnect();
  expect(await (await purge.getJob(batchId))!.getState()).toBe('failed');

  await queues.enqueue('purge-batch', { batchId }, batchId);
  expect(await (await purge.getJob(batchId))!.getState()).toBe('failed');

  await queues.requeue('purge-batch', { batchId }, batchId);
  const again = (await purge.getJob(batchId))!;
  expect(await again.getState()).toBe('waiting');
  await queues.requeue('purge-batch', { batchId }, batchId);
  expect((await purge.getJob(batchId))!.timestamp).toBe(again.timestamp);
});
