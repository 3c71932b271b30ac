// `lethe erase` as an operator runs it: outcome per policy, a reply, exit codes for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from './run-cli.ts';

describe('lethe erase', () => {
  let t: TestDb;
  let env: Record<string, string>;
  let lender: SmallLender;

  beforeAll(async () => {
    t = await createTestDb('erasecli');
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: 'test/fixtures/retention', LETHE_OPERATOR: 'li.lei', LOG_LEVEL: 'warn' };
    lender = await seedSmallLender(t.db, new Date());
  });
  afterAll(async () => t.drop());

  it('erases, defers what a floor keeps, and prints the reply; erase show and list agree', async () => {
    const r = await runCli(['erase', '--subject', lender.customers.plain, '--ticket', 'CS-1', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout) as { id: string; status: string; policies: { policy: string; destroyed: number; deferred: number; until: string | null }[]; reply: string };
    expect(view.status).toBe('partially_deferred');
    expect(view.policies.find((p) => p.policy === 'rejected-loan-applications')!.destroyed).toBe(lender.dueApps.length + lender.freshApps.length);
    expect(view.policies.find((p) => p.policy === 'kyc-records')).toMatchObject({ destroyed: 1, deferred: 1 });
    expect(view.reply).toContain('依据《反洗钱法 第三十四条》');

    const human = await runCli(['erase', 'show', view.id], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Erasure request ${view.id} (ticket CS-1): partially_deferred`);
    expect(human.stdout).toContain('Reply to the data subject:');
    // By the ticket the operator filed it under: the same request.
    const byTicket = await runCli(['erase', 'show', 'CS-1', '--json'], env);
    expect(byTicket.code, byTicket.stderr).toBe(0);
    expect(JSON.parse(byTicket.stdout)).toEqual(JSON.parse((await runCli(['erase', 'show', view.id, '--json'], env)).stdout));
    const nothing = await runCli(['erase', 'show', 'CS-404'], env);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr.trim()).toBe('lethe erase show: no erasure request with id or ticket "CS-404" (see `lethe erase list`)');
    const list = JSON.parse((await runCli(['erase', 'list', '--json'], env)).stdout) as { requests: { id: string; overdue: boolean }[] };
    expect(list.requests).toEqual([expect.objectContaining({ id: view.id, overdue: false })]);
  });

  it('a duplicate ticket or an unknown subject: exit 2, a clear message, nothing recorded', async () => {
    const before = await count(t.db, 'lethe.erasure_requests');
    const dup = await runCli(['erase', '--subject', lender.customers.ended, '--ticket', 'CS-1'], env);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/duplicate ticket: "CS-1" already belongs to erasure request er-[0-9a-f]{12}/);
    const unknown = await runCli(['erase', '--subject', '424242', '--ticket', 'CS-2'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subject');
    expect(unknown.stderr).not.toContain('424242');
    const missing = await runCli(['erase', '--subject', lender.customers.ended], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--ticket is required');
    expect(await count(t.db, 'lethe.erasure_requests')).toBe(before);
  });
});
