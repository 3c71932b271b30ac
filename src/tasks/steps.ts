// The people's side of destroying paper and media (JR/T 0171-2020: registered, approved, handed
// over, supervised): approve → hand over → confirm. Each step checks the order and who may take
// it, re-checks legal holds, and writes its evidence in the same transaction; a refused step
// changes nothing (UsageError, exit 2; over HTTP 400, or 409 for a step out of order).
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import { NotFoundError, ConflictError, FourEyesError, UsageError } from '../errors.ts';
import { heldSubjects } from '../holds/active.ts';
import { col, sourceTable } from '../destroy/predicates.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import { TASK_ACTIONS, appendTaskEvidence, taskEvidenceBase } from './evidence.ts';
import type { EvidenceInput } from '../evidence/append.ts';
import { taskable } from './open.ts';
import { MAX_OPERATOR_NAME_LENGTH, requireOperatorName, samePerson } from '../operators/identity.ts';

export type TaskStatus = 'opened' | 'approved' | 'handed_over' | 'confirmed';

/** A step the task's state does not allow now (wrong order, nothing left): exit 2, HTTP 409. */
export class TaskStateError extends ConflictError {
  override name = 'TaskStateError';
}

const NEXT_STEP: Record<TaskStatus, string> = {
  opened: 'approve it (`lethe tasks approve`)',
  approved: 'hand it over (`lethe tasks handover`)',
  handed_over: 'confirm it (`lethe tasks confirm`)',
  confirmed: 'nothing: it is done',
};

export const MAX_NAME_LENGTH = MAX_OPERATOR_NAME_LENGTH;

/** Executor and witness are typed in: refused if invisible characters or mixed scripts could make one look like another. */
function requireName(what: string, v: string | undefined): string {
  const s = (v ?? '').trim();
  if (s === '' || s.length > MAX_NAME_LENGTH) throw new UsageError(`${what} must be a name of 1 to ${MAX_NAME_LENGTH} characters`);
  return requireOperatorName(what, s);
}

interface TaskRow extends Record<string, unknown> {
  id: string;
  policy_id: string;
  policy_version: string;
  method: string;
  status: TaskStatus;
  run_id: string;
  trigger: string;
  opened_by: string;
  approved_by: string | null;
  executor: string | null;
}

async function lockTask(tx: Tx, rules: Ruleset, id: string, expected: TaskStatus, step: string): Promise<{ task: TaskRow; p: Policy }> {
  const task = await one<TaskRow>(tx, sql`SELECT t.id, t.policy_id, t.policy_version, t.method, t.status, t.run_id::text, r.trigger,
      t.opened_by, t.approved_by, t.executor
    FROM lethe.destruction_tasks t JOIN lethe.runs r ON r.id = t.run_id WHERE t.id = ${id} FOR UPDATE OF t`);
  if (!task) throw new NotFoundError(`no destruction task ${id} (see \`lethe tasks list\`)`);
  if (task.status !== expected) {
    throw new TaskStateError(`task ${id} is ${task.status.replace('_', ' ')}: only a task that is ${expected.replace('_', ' ')} can be ${step}; next for it: ${NEXT_STEP[task.status]}`);
  }
  const p = rules.get(task.policy_id);
  if (!p || p.action.kind !== 'manual') throw new UsageError(`task ${id} belongs to policy ${task.policy_id}, which is not loaded as a manual policy`);
  return { task, p };
}

interface OpenLine extends Record<string, unknown> { k: string; record_ref: string; subject_ref: string | null }

/**
 * Takes lines whose subject came under a legal hold and takes them out of the task (their evidence, `task_line_held`, is returned for the step to append last):
 * the box stays in the register and a later scan tasks it again once the hold is released.
 */
async function dropHeld(tx: Tx, p: Policy, task: TaskRow, actor: string, now: Date): Promise<{ open: OpenLine[]; held: number; evidence: EvidenceInput[] }> {
  // Shared with purges, exclusive for `hold add`: a hold placed before this point is seen here.
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${LOCKS.holds})`);
  const lines = await rows<OpenLine>(tx, sql`SELECT record_key AS k, record_ref, subject_ref FROM lethe.destruction_task_lines
    WHERE task_id = ${task.id} AND state = 'open' ORDER BY record_key FOR UPDATE`);
  const holds = await heldSubjects(tx, p.id);
  const held = lines.filter((l) => l.subject_ref !== null && holds.has(l.subject_ref));
  await closeLines(tx, task.id, held.map((l) => l.k), 'held', now);
  const base = taskEvidenceBase(p, { id: task.id, runId: task.run_id, policyVersion: task.policy_version }, task.trigger, actor, now);
  const evidence = held.map((l) => ({ ...base, action: TASK_ACTIONS.held, table: qualifiedName(p.source),
    recordRef: l.record_ref, subjectRef: l.subject_ref, fields: { task: task.id } }));
  return { open: lines.filter((l) => !held.includes(l)), held: held.length, evidence };
}

/** A closed line no longer needs the register key: it is cleared (the record ref stays). */
async function closeLines(tx: Tx, taskId: string, keys: string[], state: 'destroyed' | 'held' | 'gone', now: Date): Promise<void> {
  if (keys.length === 0) return;
  await tx.execute(sql`UPDATE lethe.destruction_task_lines SET state = ${state}, record_key = NULL, closed_at = ${now}
    WHERE task_id = ${taskId} AND state = 'open' AND record_key = ANY(${sql.param(keys)}::text[])`);
}

export interface StepResult {
  id: string;
  status: TaskStatus;
  /** Lines still in the task after the step (confirm: destroyed). */
  lines: number;
  /** Lines a legal hold took out of the task at this step. */
  held: number;
  /** Lines no longer due or no longer in the register, taken out at handover or confirmation. */
  gone: number;
}

/** Four eyes: whoever opened the task (or the sweep that did) cannot approve it. `expectedLines`: what the approver saw. */
export async function approveTask(ctx: EngineContext, rules: Ruleset, id: string, actor: string, opts: { expectedLines?: number | undefined } = {}): Promise<StepResult> {
  return ctx.db.transaction(async (tx) => {
    const { task, p } = await lockTask(tx, rules, id, 'opened', 'approved');
    if (samePerson(task.opened_by, actor)) {
      throw new FourEyesError(`four eyes: ${actor} opened ${id} and cannot approve it too; another operator must`);
    }
    const now = ctx.clock.now();
    const { open, held, evidence: heldEvidence } = await dropHeld(tx, p, task, actor, now);
    if (open.length === 0) throw new TaskStateError(`task ${id} has no lines left to destroy (${held} came under a legal hold): nothing to approve`);
    // Approval binds to what was reviewed: a task that grew or shrank since is shown again.
    if (opts.expectedLines !== undefined && opts.expectedLines !== open.length) {
      throw new TaskStateError(`task ${id} has ${open.length} lines now, not the ${opts.expectedLines} you reviewed: look at it again (\`lethe tasks show ${id}\`)`);
    }
    await tx.execute(sql`UPDATE lethe.destruction_tasks SET status = 'approved', approved_by = ${actor}, approved_at = ${now} WHERE id = ${id}`);
    const base = taskEvidenceBase(p, { id, runId: task.run_id, policyVersion: task.policy_version }, task.trigger, actor, now);
    await appendTaskEvidence(tx, ctx.keys, [...heldEvidence, { ...base, action: TASK_ACTIONS.approved, table: qualifiedName(p.source), recordRef: null, subjectRef: null,
      fields: { task: id, method: task.method, lines: String(open.length), opened_by: task.opened_by, approved_by: actor } }], now);
    return { id, status: 'approved', lines: open.length, held, gone: 0 };
  });
}

export interface Handover { executor: string; note?: string | undefined }

/**
 * The boxes leave the archive: the last moment lethe can still keep one back, so lines that are
 * held, no longer due or no longer in the register are taken out here. The note stays in the
 * task row only (free text: never in evidence).
 */
export async function handOverTask(ctx: EngineContext, rules: Ruleset, id: string, actor: string, h: Handover): Promise<StepResult> {
  const executor = requireName('--executor', h.executor);
  return ctx.db.transaction(async (tx) => {
    const { task, p } = await lockTask(tx, rules, id, 'approved', 'handed over');
    const now = ctx.clock.now();
    const { open, held, evidence: heldEvidence } = await dropHeld(tx, p, task, actor, now);
    const keyType = rules.types.of(p.source, p.source.key);
    const still = new Set((await rows<{ k: string }>(tx, sql`SELECT ${col(p.source.key)}::text AS k FROM ${sourceTable(p)} t
      WHERE ${col(p.source.key)} = ANY(${sql.param(open.map((l) => l.k))}::${sql.raw(keyType)}[]) AND ${taskable(p, 'policy', now)}`)).map((r) => r.k));
    const gone = open.filter((l) => !still.has(l.k)).map((l) => l.k);
    await closeLines(tx, id, gone, 'gone', now);
    const lines = open.length - gone.length;
    if (lines === 0) throw new TaskStateError(`task ${id} has no lines left to destroy: nothing to hand over`);
    await tx.execute(sql`UPDATE lethe.destruction_tasks SET status = 'handed_over', handed_over_by = ${actor}, handed_over_at = ${now},
      executor = ${executor}, handover_note = ${h.note?.trim() || null} WHERE id = ${id}`);
    const base = taskEvidenceBase(p, { id, runId: task.run_id, policyVersion: task.policy_version }, task.trigger, actor, now);
    await appendTaskEvidence(tx, ctx.keys, [...heldEvidence, { ...base, action: TASK_ACTIONS.handedOver, table: qualifiedName(p.source), recordRef: null, subjectRef: null,
      fields: { task: id, method: task.method, lines: String(lines), executor, handed_over_by: actor } }], now);
    return { id, status: 'handed_over', lines, held, gone: gone.length };
  });
}

export interface Confirmation { executor: string; witness: string; certificate?: string | undefined }

/**
 * The executor destroyed the items before a witness; the witness confirms. The confirming actor
 * must be the witness, and the witness someone other than the executor: the executor alone can
 * never confirm. In one transaction: the register rows go (so the database no longer lists a
 * destroyed box), one `destroyed_manually` evidence row each. A line whose subject came under a
 * legal hold after handover is not recorded as destroyed and its row stays.
 */
export async function confirmTask(ctx: EngineContext, rules: Ruleset, id: string, actor: string, c: Confirmation): Promise<StepResult> {
  const executor = requireName('--executor', c.executor);
  const witness = requireName('--witness', c.witness);
  if (samePerson(executor, witness)) {
    throw new FourEyesError(`the witness must be someone other than the executor (${executor}): the executor alone cannot confirm a destruction`);
  }
  if (!samePerson(actor, witness)) {
    throw new FourEyesError(`only the witness confirms: ${actor} is not ${witness}; the witness confirms under their own name (LETHE_OPERATOR or their API token)`);
  }
  const certificate = c.certificate?.trim() || undefined;
  return ctx.db.transaction(async (tx) => {
    const { task, p } = await lockTask(tx, rules, id, 'handed_over', 'confirmed');
    if (!samePerson(task.executor ?? '', executor)) {
      throw new FourEyesError(`task ${id} was handed over to ${task.executor}, not ${executor}: the executor confirms what they were given`);
    }
    const now = ctx.clock.now();
    const { open, held, evidence: heldEvidence } = await dropHeld(tx, p, task, actor, now);
    const keyType = rules.types.of(p.source, p.source.key);
    const deleted = new Set((await rows<{ k: string }>(tx, sql`DELETE FROM ${sourceTable(p)} t
      WHERE ${col(p.source.key)} = ANY(${sql.param(open.map((l) => l.k))}::${sql.raw(keyType)}[])
      RETURNING ${col(p.source.key)}::text AS k`)).map((r) => r.k));
    const destroyed = open.filter((l) => deleted.has(l.k));
    const gone = open.filter((l) => !deleted.has(l.k)).map((l) => l.k);
    await closeLines(tx, id, destroyed.map((l) => l.k), 'destroyed', now);
    await closeLines(tx, id, gone, 'gone', now);
    await tx.execute(sql`UPDATE lethe.destruction_tasks SET status = 'confirmed', confirmed_by = ${actor}, confirmed_at = ${now},
      witness = ${witness}, certificate = ${certificate ?? null} WHERE id = ${id}`);
    await tx.execute(sql`UPDATE lethe.runs SET status = 'done', finished_at = ${now} WHERE id = ${task.run_id}`);
    const base = taskEvidenceBase(p, { id, runId: task.run_id, policyVersion: task.policy_version }, task.trigger, actor, now);
    const fields: Record<string, string> = { task: id, method: task.method, executor, witness, approved_by: task.approved_by ?? '',
      ...(certificate ? { certificate } : {}) };
    const evidence: EvidenceInput[] = [...heldEvidence, ...destroyed.map((l) => ({ ...base, action: TASK_ACTIONS.destroyed, table: qualifiedName(p.source),
      recordRef: l.record_ref, subjectRef: l.subject_ref, fields }))];
    await appendTaskEvidence(tx, ctx.keys, evidence, now);
    return { id, status: 'confirmed', lines: destroyed.length, held, gone: gone.length };
  });
}
