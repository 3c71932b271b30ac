// A worker killed with SIGKILL mid-sweep, and Redis losing every key mid-sweep: in both cases
// a later sweep ends with every due record destroyed exactly once and one evidence row each.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb, waitFor } from '../helpers.ts';
import { seedRejectedApplications } from '../fixtures/bulk.ts';
import { runCli, startCli } from '../cli/run-cli.ts';
import { rows } from '../../src/db/sql.ts';

const DUE = 6000;
const FRESH = 500;
const rejected = sql`status = 'rejected' AND decided_at < now() - interval '30 days'`;


async function expectExactlyOnce(t: TestDb): Promise<void> {
  expect(await count(t.db, 'loan_applications', rejected)).toBe(0);
  expect(await count(t.db, 'loan_applications')).toBe(FRESH);
  const [e] = await rows<{ apps: string; distinct_apps: string; docs: string }>(t.db, sql`SELECT
    count(*) FILTER (WHERE "table" = 'public.loan_applications')::text AS apps,
    count(DISTINCT record_ref) FILTER (WHERE "table" = 'public.loan_applications')::text AS distinct_apps,
    count(*) FILTER (WHERE "table" = 'public.loan_application_documents')::text AS docs FROM lethe.evidence`);
  expect(e).toEqual({ apps: String(DUE), distinct_apps: String(DUE), docs: String(DUE) });
  expect(await count(t.db, 'loan_application_documents')).toBe(FRESH);
}

describe('faults mid-sweep', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let env: Record<string, string>;

  beforeEach(async () => {
    t = await createTestDb('crash');
    q = createQueuePrefix('crash');
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_BATCH_SIZE: '50', LOG_LEVEL: 'warn' };
    await seedRejectedApplications(t.db, { due: DUE, fresh: FRESH, now: new Date() });
  });
  afterEach(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('SIGKILL of the sweeping process, then a new sweep: every due record destroyed exactly once', async () => {
    const child = startCli(['sweep', '--policy', 'rejected-loan-applications'], env);
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor(async () => (await count(t.db, 'lethe.evidence')) > 400, 60_000);
    child.kill('SIGKILL');
    await exited;
    const left = await count(t.db, 'loan_applications', rejected);
    expect(left).toBeGreaterThan(0);
    // What went before the kill went with its evidence, no more, no less.
    expect(await count(t.db, 'lethe.evidence', sql`"table" = 'public.loan_applications'`)).toBe(DUE - left);

    const again = await runCli(['sweep', '--policy', 'rejected-loan-applications', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    await expectExactlyOnce(t);
    const verify = await runCli(['evidence', 'verify', '--json'], env);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, first_broken: null });
  });

  it('Redis loses every key mid-sweep: the sweep still finishes, and a second one loses nothing', async () => {
    const child = startCli(['sweep', '--policy', 'rejected-loan-applications'], env);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await waitFor(async () => (await count(t.db, 'lethe.evidence')) > 400, 60_000);
    await q.cleanup();
    const code = await exited;
    expect(code, stderr).toBe(0);
    const again = await runCli(['sweep', '--policy', 'rejected-loan-applications', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    await expectExactlyOnce(t);
  });
});
