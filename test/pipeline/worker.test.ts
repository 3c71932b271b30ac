// `lethe worker`: one job scheduler per policy, scheduled scans that destroy what is due, and a
// clean exit 0 on SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb, waitFor } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { startCli } from '../cli/run-cli.ts';
import { sql } from 'drizzle-orm';


describe('lethe worker', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  const children: ReturnType<typeof startCli>[] = [];

  beforeAll(async () => {
    t = await createTestDb('worker');
    q = createQueuePrefix('worker');
    lender = await seedSmallLender(t.db, new Date());
  });
  afterAll(async () => {
    // A failed assertion must not leave workers running against a dropped database.
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await q.cleanup();
    await t.drop();
  });

  it('schedules a scan per policy, destroys what is due, and exits 0 on SIGTERM', async () => {
    const env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_SCAN_EVERY: 'PT1S', LOG_LEVEL: 'info' };
    const workers = [startCli(['worker'], env), startCli(['worker'], env)];
    children.push(...workers);
    const logs = ['', ''];
    workers.forEach((w, i) => w.stderr.on('data', (d) => (logs[i] += d)));
    const exits = workers.map((w) => new Promise<number | null>((r) => w.on('exit', r)));

    const due = sql`id = ANY(${sql.param(lender.dueApps)}::bigint[])`;
    await waitFor(async () => (await count(t.db, 'loan_applications', due)) === 0, 45_000);
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(lender.freshApps)}::bigint[])`)).toBe(lender.freshApps.length);
    // No hold in this test: the "held" customer's due applications go too.
    await waitFor(async () => (await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(lender.heldApps)}::bigint[])`)) === 0, 10_000);
    expect(await count(t.db, 'lethe.evidence', sql`"table" = 'public.loan_applications'`)).toBe(lender.dueApps.length + lender.heldApps.length);

    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const scan = new Queue('scan', { connection, prefix: q.prefix });
    const schedulers = (await scan.getJobSchedulers()).map((s) => s.key).sort();
    await scan.close();
    connection.disconnect();
    expect(schedulers).toEqual(['scan:customer-anonymise', 'scan:kyc-records', 'scan:rejected-loan-applications']);
    // Exactly one of the two processes leads.
    expect(logs.filter((l) => l.includes('leading: job schedulers in place'))).toHaveLength(1);

    await waitFor(async () => logs.every((l) => l.includes('lethe worker: running queues')), 10_000);
    workers.forEach((w) => w.kill('SIGTERM'));
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(logs.every((l) => l.includes('worker stopped'))).toBe(true);
  });
});
