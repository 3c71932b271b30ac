// `lethe worker` after Redis lost every key (flushed, or restarted without persistence): the
// leader puts the job schedulers back within LETHE_RECONCILE_EVERY, so policies are scanned again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb, waitFor } from '../helpers.ts';
import { startCli } from '../cli/run-cli.ts';

let t: TestDb;
const q = createQueuePrefix('redisloss');
let worker: ReturnType<typeof startCli> | undefined;
beforeAll(async () => {
  t = await createTestDb('redisloss');
});
afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await q.cleanup();
  await t.drop();
});

it('puts the job schedulers back once Redis lost them', async () => {
  worker = startCli(['worker'], { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
    LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_SCAN_EVERY: 'PT1H', LETHE_RECONCILE_EVERY: 'PT1S', LOG_LEVEL: 'info' });
  let log = '';
  worker.stderr.on('data', (d) => (log += d));
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const scan = new Queue('scan', { connection, prefix: q.prefix });
  const schedulers = async () => (await scan.getJobSchedulers()).map((s) => s.key).sort();
  try {
    await waitFor(async () => (await schedulers()).length === 3, 30_000, 'the leader to create the schedulers');
    // Not while a scheduled scan runs: finishing it would schedule its next tick itself.
    await waitFor(async () => (await scan.getActiveCount()) + (await scan.getWaitingCount()) === 0, 30_000, 'the first scans to finish');
    await q.cleanup();
    expect(await schedulers()).toEqual([]);
    await waitFor(async () => (await schedulers()).length === 3, 10_000, 'the schedulers to come back');
    expect(await schedulers()).toEqual(['scan:customer-anonymise', 'scan:kyc-records', 'scan:rejected-loan-applications']);
    // The line follows the Redis writes through a pipe: wait for it rather than race it.
    await waitFor(async () => log.includes('job schedulers were missing from Redis: put back'), 5000, 'the worker to say so');
  } finally {
    await scan.close();
    connection.disconnect();
  }
});
