// Four eyes on the command line: alice requests, alice cannot approve, bob approves and waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from './run-cli.ts';

describe('lethe purge request / approve', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createTestDb('purgecli');
    q = createQueuePrefix('purgecli');
    lender = await seedSmallLender(t.db, new Date());
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: 'test/fixtures/retention', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('the requester cannot approve; another operator can, and only the plan goes', async () => {
    const req = await runCli(['purge', 'request', '--policy', 'rejected-loan-applications', '--reason', 'backlog INC-3', '--json'], { ...env, LETHE_OPERATOR: 'alice' });
    expect(req.code, req.stderr).toBe(0);
    const { id, plan } = JSON.parse(req.stdout) as { id: string; plan: { total: number } };
    expect(plan.total).toBe(lender.dueApps.length + lender.heldApps.length);

    const self = await runCli(['purge', 'approve', id], { ...env, LETHE_OPERATOR: 'alice' });
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('four eyes: operator:alice requested');
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(lender.dueApps)}::bigint[])`)).toBe(lender.dueApps.length);

    const ok = await runCli(['purge', 'approve', id, '--wait'], { ...env, LETHE_OPERATOR: 'bob' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`Manual purge ${id}: executed`);
    expect(ok.stdout).toContain('approved by operator:bob');
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param([...lender.dueApps, ...lender.heldApps])}::bigint[])`)).toBe(0);
    const list = await runCli(['purge', 'list'], env);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+executed`));

    const neither = await runCli(['purge', 'request', '--reason', 'x'], { ...env, LETHE_OPERATOR: 'alice' });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give exactly one of --policy ID or --subject ID');
  });
});
