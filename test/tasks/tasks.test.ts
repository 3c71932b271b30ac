// Paper and media destruction tasks: a manual policy's due register lines (not held, not fresh)
// go into one task per method; the steps come in order, with four eyes and a witness who is not
// the executor; each step leaves evidence with its actors; confirmation deletes the register
// rows; a task not confirmed by its deadline is overdue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { seedPaperArchive, type PaperArchive } from '../fixtures/paper-archive.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { parseDuration } from '../../src/duration.ts';
import { addHold } from '../../src/holds/holds.ts';
import { rows } from '../../src/db/sql.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { openTasksForScan } from '../../src/tasks/open.ts';
import { approveTask, confirmTask, handOverTask } from '../../src/tasks/steps.ts';
import { getTask, listTasks, taskCounts } from '../../src/tasks/list.ts';
import { plan } from '../../src/plan/plan.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { getErasureRequest, recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { ConflictError, FourEyesError } from '../../src/errors.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/paper-policies', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const DAY = 86_400_000;
const TASK_DUE = parseDuration('P30D')!;
const ids = (list: string[]) => sql`id = ANY(${sql.param(list)}::bigint[])`;

describe('paper and media destruction tasks', () => {
  let t: TestDb;
  let rules: Ruleset;
  let archive: PaperArchive;
  const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
  const at = (d: Date): EngineContext => ({ db: t.db, keys, clock: fixedClock(d), log: silentLogger });
  const scanNow = async (actor: string, when = NOW) => {
    const ctx = at(when);
    const p = rules.get('paper-loan-applications')!;
    const runId = await createRun(t.db, { kind: 'sweep', trigger: 'expiry', actor, at: when });
    return openTasksForScan(ctx, rules, await createScan(t.db, runId, p, when), TASK_DUE);
  };
  const evidenceOf = (task: string) => rows<{ action: string; actor: string; record_ref: string | null; fields: Record<string, string> }>(t.db,
    sql`SELECT action, actor, record_ref, fields FROM lethe.evidence WHERE fields->>'task' = ${task} ORDER BY seq`);

  beforeAll(async () => {
    t = await createTestDb('tasks');
    archive = await seedPaperArchive(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    await addHold(at(NOW), rules, { subject: archive.customers.held, reason: 'AML 2026-9', actor: 'operator:legal' });
  });
  afterAll(async () => t.drop());

  it('plan counts due lines as manual: nothing destroyed, the held one apart', async () => {
    const [c] = await plan(at(NOW), rules, { now: NOW });
    expect(c).toMatchObject({ id: 'paper-loan-applications', action: 'manual', due: 3, held: 1, destroyed: 0, anonymised: 0 });
  });

  it('a scan opens one task per method with the due lines only, and a re-scan adds nothing', async () => {
    const opened = await scanNow('operator:wang');
    expect(opened).toMatchObject({ added: 3, held: 1, unmapped: 0 });
    expect(opened.tasks).toHaveLength(2);
    const tasks = await listTasks(t.db, NOW);
    const shred = tasks.find((x) => x.method === 'shred')!;
    const wipe = tasks.find((x) => x.method === 'overwrite-3')!;
    expect(shred).toMatchObject({ status: 'opened', opened_by: 'operator:wang', lines: { open: 2 }, overdue: false, due_by: '2026-12-20T08:00:00Z' });
    expect(wipe.lines.open).toBe(1);
    const shown = (await getTask(t.db, shred.id, NOW))!;
    expect(shown.open_lines.map((l) => l.key).sort()).toEqual([...archive.duePaper].sort());
    expect(shown.open_lines[0]!.location).toMatch(/^SH-ARCH-01\//);
    // Idempotent: nothing new is due, nothing is added twice.
    expect(await scanNow('operator:wang')).toMatchObject({ added: 0 });
    expect(await count(t.db, 'lethe.destruction_task_lines')).toBe(3);
    // Opening touches no data: every register row is still there.
    expect(await count(t.db, 'paper_archive_boxes')).toBe(7);
    const ev = await evidenceOf(shred.id);
    expect(ev.map((e) => [e.action, e.actor])).toEqual([['task_opened', 'operator:wang'], ['task_opened', 'operator:wang']]);
    expect(ev.every((e) => /^[0-9a-f]{64}$/.test(e.record_ref!))).toBe(true);
  });

  it('steps only in order; the opener cannot approve; the executor alone cannot confirm', async () => {
    const shred = (await listTasks(t.db, NOW)).find((x) => x.method === 'shred')!;
    const ctx = at(new Date(NOW.getTime() + DAY));
    const c = { executor: 'chen.jie', witness: 'li.na' };
    await expect(confirmTask(ctx, rules, shred.id, 'operator:li.na', c)).rejects.toThrow(/is opened: only a task that is handed over can be confirmed/);
    await expect(handOverTask(ctx, rules, shred.id, 'operator:zhao', { executor: 'chen.jie' })).rejects.toThrow(ConflictError);
    await expect(approveTask(ctx, rules, shred.id, 'operator:wang')).rejects.toThrow(new FourEyesError(`four eyes: operator:wang opened ${shred.id} and cannot approve it too; another operator must`));
    expect(await approveTask(ctx, rules, shred.id, 'operator:zhao')).toMatchObject({ status: 'approved', lines: 2 });
    await expect(approveTask(ctx, rules, shred.id, 'operator:zhao')).rejects.toThrow(/is approved/);
    expect(await handOverTask(ctx, rules, shred.id, 'operator:zhao', { executor: 'chen.jie', note: 'van 7' })).toMatchObject({ status: 'handed_over', lines: 2 });
    // The executor as witness, the executor confirming, a witness confirming for someone else's name.
    await expect(confirmTask(ctx, rules, shred.id, 'operator:chen.jie', { executor: 'chen.jie', witness: 'Chen.Jie' })).rejects.toThrow('the witness must be someone other than the executor');
    await expect(confirmTask(ctx, rules, shred.id, 'operator:chen.jie', c)).rejects.toThrow('only the witness confirms');
    await expect(confirmTask(ctx, rules, shred.id, 'operator:li.na', { executor: 'someone.else', witness: 'li.na' })).rejects.toThrow('was handed over to chen.jie');
    expect(await count(t.db, 'paper_archive_boxes', ids(archive.duePaper))).toBe(2);
    expect((await getTask(t.db, shred.id, NOW))!.status).toBe('handed_over');

    const done = await confirmTask(ctx, rules, shred.id, 'operator:li.na', { ...c, certificate: 'SC-2026-0117' });
    expect(done).toMatchObject({ status: 'confirmed', lines: 2, held: 0, gone: 0 });
    expect(await count(t.db, 'paper_archive_boxes', ids(archive.duePaper))).toBe(0);
    expect(await count(t.db, 'paper_archive_boxes', ids([...archive.held, ...archive.fresh, ...archive.open, ...archive.otherKind, ...archive.dueDisk]))).toBe(5);
    // The register key is cleared once a line is closed.
    expect(await count(t.db, 'lethe.destruction_task_lines', sql`task_id = ${shred.id} AND record_key IS NOT NULL`)).toBe(0);

    const ev = await evidenceOf(shred.id);
    expect(ev.map((e) => [e.action, e.actor])).toEqual([
      ['task_opened', 'operator:wang'], ['task_opened', 'operator:wang'],
      ['task_approved', 'operator:zhao'], ['task_handed_over', 'operator:zhao'],
      ['destroyed_manually', 'operator:li.na'], ['destroyed_manually', 'operator:li.na'],
    ]);
    expect(ev[3]!.fields).toMatchObject({ executor: 'chen.jie', handed_over_by: 'operator:zhao' });
    expect(ev[4]!.fields).toMatchObject({ method: 'shred', executor: 'chen.jie', witness: 'li.na', approved_by: 'operator:zhao', certificate: 'SC-2026-0117' });
    expect(JSON.stringify(ev)).not.toContain('van 7');
    expect((await verifyEvidence(t.db, keys)).ok).toBe(true);
    // The destruction register names who destroyed, who approved and who witnessed.
    const run = (await buildRegister(t.db, {})).find((r) => r.kind === 'task' && r.witnessed_by)!;
    expect(run).toMatchObject({ status: 'done', executed_by: 'chen.jie', approved_by: 'operator:zhao', witnessed_by: 'li.na' });
    expect(run.policies.find((l) => l.action === 'destroyed_manually')).toMatchObject({ records: 2, served_at_least_per_rule: 'P30D since closed_at' });
  });

  it('a line whose subject is held after handover is not recorded as destroyed and stays', async () => {
    const when = new Date(NOW.getTime() + 2 * DAY);
    const heldBox = await rows<{ id: string }>(t.db, sql`INSERT INTO paper_archive_boxes (customer_id, box_code, location, media_class, document_kind, archived_at, closed_at)
      VALUES (${archive.customers.plain}::bigint, 'BX-LATE', 'SH-ARCH-01/R09/S01', 'disk', 'rejected_application_form', ${NOW}, ${new Date(NOW.getTime() - 60 * DAY)}) RETURNING id::text`);
    const wipe = (await listTasks(t.db, when)).find((x) => x.method === 'overwrite-3')!;
    // Still only opened: the next scan extends it.
    expect(await scanNow('operator:wang', when)).toMatchObject({ added: 1, tasks: [wipe.id] });
    const ctx = at(when);
    await approveTask(ctx, rules, wipe.id, 'operator:zhao');
    await handOverTask(ctx, rules, wipe.id, 'operator:zhao', { executor: 'chen.jie' });
    await addHold(ctx, rules, { subject: archive.customers.plain, reason: 'court order 17', actor: 'operator:legal' });
    const done = await confirmTask(ctx, rules, wipe.id, 'operator:li.na', { executor: 'chen.jie', witness: 'li.na' });
    expect(done).toMatchObject({ lines: 0, held: 2 });
    expect(await count(t.db, 'paper_archive_boxes', ids([...archive.dueDisk, heldBox[0]!.id]))).toBe(2);
    expect((await evidenceOf(wipe.id)).filter((e) => e.action === 'destroyed_manually')).toHaveLength(0);
    expect((await evidenceOf(wipe.id)).filter((e) => e.action === 'task_line_held')).toHaveLength(2);
  });

  it('a task not confirmed by its deadline is overdue', async () => {
    const fresh = archive.fresh[0]!;
    // The fresh box comes due 30 days after it closed; a scan then opens a task due 30 days later.
    const opening = new Date(NOW.getTime() + 26 * DAY);
    await t.db.execute(sql`UPDATE lethe.holds SET released_at = ${opening}, released_by = 'operator:legal' WHERE released_at IS NULL AND reason = 'court order 17'`);
    const opened = await scanNow('operator:wang', opening);
    expect(opened.added).toBe(3);
    expect(await listTasks(t.db, new Date(opening.getTime() + 29 * DAY), { overdue: true })).toEqual([]);
    const late = new Date(opening.getTime() + 31 * DAY);
    const overdue = await listTasks(t.db, late, { overdue: true });
    // The fresh paper box in a new shred task; the disks the hold kept back in a new wipe task.
    expect(overdue.map((x) => x.method).sort()).toEqual(['overwrite-3', 'shred']);
    const shred = overdue.find((x) => x.method === 'shred')!;
    expect(shred).toMatchObject({ status: 'opened', overdue: true, overdue_seconds: DAY / 1000, overdue_for: '1d 0h' });
    expect((await taskCounts(t.db, late)).overdue).toBe(2);
    expect((await getTask(t.db, shred.id, late))!.open_lines.map((l) => l.key)).toEqual([fresh]);
  });
});

describe('an erasure request and paper', () => {
  let t: TestDb;
  afterAll(async () => t.drop());

  it('opens a task for the subject\'s register lines whatever their clock, and destroys nothing', async () => {
    t = await createTestDb('taskserase');
    const archive = await seedPaperArchive(t.db, NOW);
    const rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
    const ctx: EngineContext = { db: t.db, keys, clock: fixedClock(NOW), log: silentLogger };
    const id = await recordErasureRequest(ctx, rules, 15, { subject: archive.customers.plain, ticket: 'CS-1', actor: 'operator:cs' });
    await executeErasure(ctx, rules, id, { batchSize: 100, taskDue: TASK_DUE });
    const lines = await rows<{ k: string }>(t.db, sql`SELECT record_key AS k FROM lethe.destruction_task_lines WHERE state = 'open'`);
    // Clock ignored (the fresh box and the one never closed too); outside the where, and the other subject's, not.
    expect(lines.map((l) => l.k).sort()).toEqual([...archive.duePaper, ...archive.dueDisk, ...archive.fresh, ...archive.open].sort());
    expect(await count(t.db, 'paper_archive_boxes')).toBe(7);
    const [ev] = await rows<{ trigger: string }>(t.db, sql`SELECT DISTINCT trigger FROM lethe.evidence WHERE action = 'task_opened'`);
    expect(ev!.trigger).toBe('erasure_request');
    // The reply does not claim the boxes are gone: they await supervised destruction.
    const view = (await getErasureRequest(t.db, id, NOW))!;
    const paper = view.policies.find((p) => p.action === 'manual')!;
    expect(paper).toMatchObject({ destroyed: 0, awaiting: lines.length });
    expect(view.reply).toContain(`${lines.length} 件纸质或介质材料已列入销毁任务，将在监督下销毁`);
    expect(view.reply).not.toContain('已删除');
  });
});
