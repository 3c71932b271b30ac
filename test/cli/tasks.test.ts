// Paper destruction on the command line: a sweep opens tasks (nothing destroyed), the sweeper
// cannot approve, steps out of order and the executor confirming alone exit 2 and change
// nothing; the witness confirms; an unconfirmed task is overdue after LETHE_TASK_DUE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedPaperArchive, type PaperArchive } from '../fixtures/paper-archive.ts';
import { runCli } from './run-cli.ts';
import type { TaskView } from '../../src/tasks/list.ts';

const DAY = 86_400_000;
/** A dozen CLI processes per test: generous on a loaded machine. */
const SLOW = 240_000;

describe('lethe tasks', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let archive: PaperArchive;
  let env: Record<string, string>;
  const as = (operator: string) => ({ ...env, LETHE_OPERATOR: operator });
  const boxes = () => count(t.db, 'paper_archive_boxes', sql`id = ANY(${sql.param(archive.duePaper)}::bigint[])`);

  beforeAll(async () => {
    t = await createTestDb('taskscli');
    q = createQueuePrefix('taskscli');
    archive = await seedPaperArchive(t.db, new Date());
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: 'test/fixtures/paper-policies', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('plan reports the manual policy; a sweep opens tasks and destroys nothing', async () => {
    const planned = await runCli(['plan', '--json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout).policies[0]).toMatchObject({ id: 'paper-loan-applications', action: 'manual', due: 4, destroyed: 0 });
    const swept = await runCli(['sweep', '--json'], as('wang'));
    expect(swept.code, swept.stderr).toBe(0);
    expect(JSON.parse(swept.stdout).policies[0]).toMatchObject({ id: 'paper-loan-applications', action: 'manual', due: 4, tasked: 4, destroyed: 0 });
    expect(await count(t.db, 'paper_archive_boxes')).toBe(7);
    const again = await runCli(['sweep', '--json'], as('wang'));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).policies[0]).toMatchObject({ tasked: 0 });
  }, SLOW);

  it('walks a task through its steps, refusing the wrong order and the executor alone', async () => {
    const list = await runCli(['tasks', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    const tasks = (JSON.parse(list.stdout) as { tasks: TaskView[] }).tasks;
    expect(tasks.map((x) => [x.method, x.lines.open, x.opened_by]).sort()).toEqual([['overwrite-3', 1, 'operator:wang'], ['shred', 3, 'operator:wang']]);
    const id = tasks.find((x) => x.method === 'shred')!.id;
    const human = await runCli(['tasks', 'show', id], env);
    expect(human.stdout).toContain('SH-ARCH-01/R01/S01');

    const early = await runCli(['tasks', 'confirm', id, '--executor', 'chen.jie', '--witness', 'li.na'], as('li.na'));
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`task ${id} is opened: only a task that is handed over can be confirmed`);
    const self = await runCli(['tasks', 'approve', id], as('wang'));
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('four eyes: operator:wang opened');
    const ok = await runCli(['tasks', 'approve', id, '--lines', '3'], as('zhao'));
    expect(ok.code, ok.stderr).toBe(0);
    expect((await runCli(['tasks', 'handover', id, '--executor', 'chen.jie', '--note', 'van 7'], as('zhao'))).code).toBe(0);

    const alone = await runCli(['tasks', 'confirm', id, '--executor', 'chen.jie', '--witness', 'chen.jie'], as('chen.jie'));
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('the executor alone cannot confirm');
    expect(await boxes()).toBe(2);

    const done = await runCli(['tasks', 'confirm', id, '--executor', 'chen.jie', '--witness', 'li.na', '--certificate', 'SC-7', '--json'], as('li.na'));
    expect(done.code, done.stderr).toBe(0);
    // The held customer's box is in the task too (no hold was placed): three lines destroyed.
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'confirmed', lines: 3 });
    expect(await boxes()).toBe(0);
    const verify = await runCli(['evidence', 'verify', '--json'], env);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    const exported = await runCli(['evidence', 'export', '--format', 'json'], env);
    const register = JSON.parse(exported.stdout) as { records: { action: string; actor: string }[] };
    expect(register.records.filter((r) => r.action === 'destroyed_manually').map((r) => r.actor)).toEqual(['operator:li.na', 'operator:li.na', 'operator:li.na']);
  }, SLOW);

  it('an unconfirmed task shows as overdue once LETHE_TASK_DUE has passed', async () => {
    const now = await runCli(['tasks', 'list', '--overdue', '--json'], env);
    expect((JSON.parse(now.stdout) as { tasks: TaskView[] }).tasks).toEqual([]);
    const later = new Date(Date.now() + 31 * DAY).toISOString();
    const late = await runCli(['tasks', 'list', '--overdue', '--as-of', later, '--json'], env);
    const tasks = (JSON.parse(late.stdout) as { tasks: TaskView[] }).tasks;
    expect(tasks.map((x) => [x.method, x.overdue, x.status])).toEqual([['overwrite-3', true, 'opened']]);
    const human = await runCli(['tasks', 'list', '--as-of', later], env);
    expect(human.stdout).toMatch(/overwrite-3\s+opened.*OVERDUE 1d/);
    const shorter = await runCli(['tasks', 'list', '--overdue', '--json'], { ...env, LETHE_TASK_DUE: 'soon' });
    expect(shorter.code).toBe(2);
    expect(shorter.stderr).toContain('LETHE_TASK_DUE');
  }, SLOW);
});
