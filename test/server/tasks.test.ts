// Destruction tasks over HTTP: an approver approves, an operator hands over, the witness
// confirms with their own token; steps out of order are 409, the executor alone is refused;
// a task past its deadline is overdue in the list and in /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { count } from '../helpers.ts';
import { seedPaperArchive, type PaperArchive } from '../fixtures/paper-archive.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { fixedClock } from '../../src/clock.ts';
import { parseDuration } from '../../src/duration.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { openTasksForScan } from '../../src/tasks/open.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { addHold } from '../../src/holds/holds.ts';
import type { TaskView } from '../../src/tasks/list.ts';
import type { ServerDeps } from '../../src/server/app.ts';
import type { FastifyInstance } from 'fastify';

const POLICIES = fileURLToPath(new URL('../fixtures/paper-policies', import.meta.url));
const DAY = 86_400_000;

describe('destruction tasks over HTTP', () => {
  let f: ServerFixture;
  let app: FastifyInstance;
  let deps: ServerDeps;
  let archive: PaperArchive;
  let witness: string;
  let executor: string;
  let taskId: string;
  const post = (url: string, token: string, payload: unknown = {}) => app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });

  beforeAll(async () => {
    f = await serverFixture('tasksapi');
    const rules = (await buildRuleset(f.t.db, await loadPolicies(POLICIES))).ruleset;
    deps = { ...f.deps(), rules };
    app = buildServer(deps);
    witness = (await createToken(f.t.db, { name: 'li.na', role: 'operator', actor: 'test' })).token;
    executor = (await createToken(f.t.db, { name: 'chen.jie', role: 'operator', actor: 'test' })).token;
    // Opened 40 days ago, so 10 days past its P30D deadline now.
    const opened = new Date(Date.now() - 40 * DAY);
    archive = await seedPaperArchive(f.t.db, opened);
    await addHold({ ...deps.ctx, clock: fixedClock(opened) }, rules, { subject: archive.customers.held, reason: 'AML 2026-9', actor: 'operator:legal' });
    const runId = await createRun(f.t.db, { kind: 'scheduled', trigger: 'expiry', actor: 'lethe:scheduler', at: opened });
    const scanId = await createScan(f.t.db, runId, rules.get('paper-loan-applications')!, opened);
    const r = await openTasksForScan({ ...deps.ctx, clock: fixedClock(opened) }, rules, scanId, parseDuration('P30D')!);
    expect(r.added).toBe(3);
  });
  afterAll(async () => {
    await app.close();
    await f.drop();
  });

  it('lists tasks, overdue ones flagged, and counts them in /metrics', async () => {
    const list = await app.inject({ method: 'GET', url: '/destruction-tasks?overdue=true', headers: bearer(f.tokens.auditor) });
    expect(list.statusCode, list.body).toBe(200);
    const tasks = (list.json() as { tasks: TaskView[] }).tasks;
    expect(tasks.map((t) => t.method).sort()).toEqual(['overwrite-3', 'shred']);
    expect(tasks.every((t) => t.overdue && t.overdue_seconds > 9 * 86_400)).toBe(true);
    taskId = tasks.find((t) => t.method === 'shred')!.id;
    const one = await app.inject({ method: 'GET', url: `/destruction-tasks/${taskId}`, headers: bearer(f.tokens.viewer) });
    expect((one.json() as { open_lines: { key: string }[] }).open_lines.map((l) => l.key).sort()).toEqual([...archive.duePaper].sort());
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(f.tokens.viewer) });
    expect(metrics.body).toMatch(/^lethe_destruction_tasks_overdue 2$/m);
    expect(metrics.body).toMatch(/^lethe_destruction_tasks\{status="opened"\} 2$/m);
    const page = await app.inject({ method: 'GET', url: '/', headers: bearer(f.tokens.viewer) });
    expect(page.body).toContain('<span id="tasks-overdue">2</span> destruction tasks overdue');
    expect(page.body).toContain(`<code>${taskId}</code>`);
    expect((await app.inject({ method: 'GET', url: '/destruction-tasks/dt-nope', headers: bearer(f.tokens.viewer) })).statusCode).toBe(404);
  });

  it('refuses steps out of order and the executor confirming alone; the witness confirms', async () => {
    const url = (step: string) => `/destruction-tasks/${taskId}/${step}`;
    const early = await post(url('confirm'), witness, { executor: 'chen.jie', witness: 'li.na' });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'conflict', message: expect.stringContaining('is opened') } });
    expect((await post(url('approve'), f.tokens.operator)).statusCode).toBe(403);
    expect((await post(url('handover'), f.tokens.operator, { executor: 'chen.jie' })).statusCode).toBe(409);
    const stale = await post(url('approve'), f.tokens.approver, { lines: 3 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: { message: expect.stringContaining('has 2 lines now, not the 3 you reviewed') } });
    const approved = await post(url('approve'), f.tokens.approver, { lines: 2 });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', lines: 2 });
    expect((await post(url('handover'), f.tokens.operator, { executor: 'chen.jie', extra: 1 })).statusCode).toBe(400);
    expect((await post(url('handover'), f.tokens.operator, { executor: 'chen.jie' })).json()).toMatchObject({ status: 'handed_over' });

    const alone = await post(url('confirm'), executor, { executor: 'chen.jie', witness: 'chen.jie' });
    expect(alone.statusCode).toBe(403);
    expect(alone.json()).toMatchObject({ error: { message: expect.stringContaining('the executor alone cannot confirm') } });
    const notWitness = await post(url('confirm'), executor, { executor: 'chen.jie', witness: 'li.na' });
    expect(notWitness.statusCode).toBe(403);
    expect(await count(f.t.db, 'paper_archive_boxes', sql`id = ANY(${sql.param(archive.duePaper)}::bigint[])`)).toBe(2);

    const done = await post(url('confirm'), witness, { executor: 'chen.jie', witness: 'li.na', certificate: 'SC-1' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'confirmed', lines: 2 });
    expect(await count(f.t.db, 'paper_archive_boxes', sql`id = ANY(${sql.param(archive.duePaper)}::bigint[])`)).toBe(0);
    const actors = await f.t.db.execute(sql`SELECT action, actor FROM lethe.evidence WHERE fields->>'task' = ${taskId} ORDER BY seq`);
    expect((actors as unknown as { rows: { action: string; actor: string }[] }).rows.map((r) => `${r.action} ${r.actor}`)).toEqual([
      'task_opened lethe:scheduler', 'task_opened lethe:scheduler', 'task_approved token:test-approver',
      'task_handed_over token:test-operator', 'destroyed_manually token:li.na', 'destroyed_manually token:li.na',
    ]);
    const after = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(f.tokens.viewer) });
    expect(after.body).toMatch(/^lethe_destruction_tasks_overdue 1$/m);
  });
});
