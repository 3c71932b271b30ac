// A scan of a manual policy (paper archive boxes, tapes, disks) opens destruction tasks instead of
// destroying: due register rows become lines of one open task per method, and the people do the
// rest (src/tasks/steps.ts). Same due-ness as a purge — clock, floor, holds — and idempotent: a
// row already on an open line is not added again (a partial unique index makes sure of it).
import { randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor, Tx } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import { recordRef, subjectRef } from '../crypto/keys.ts';
import { addDuration, type Duration } from '../duration.ts';
import { heldSubjects } from '../holds/active.ts';
import { col, eligible, floorPassed, sourceTable, subjectIs, whereFilter } from '../destroy/predicates.ts';
import { triggerOf, type ScanMode, type ScanRow } from '../destroy/scan.ts';
import { PolicyChangedError } from '../errors.ts';
import { createRun } from '../pipeline/runs.ts';
import { qualifiedName, type Policy, type Register } from '../policy/types.ts';
import { appendTaskEvidence, taskEvidenceBase } from './evidence.ts';

/** Register rows one scan puts into tasks; a bigger backlog is taken by the next scans. */
export const MAX_LINES_PER_SCAN = 10_000;

export interface OpenedTasks {
  /** Lines added to tasks by this scan. */
  added: number;
  /** Due rows a legal hold keeps out of any task. */
  held: number;
  /** Due rows whose media class has no method in the policy: reported, never tasked. */
  unmapped: number;
  tasks: string[];
}

/** The scan, and the actor of its run (who opens the tasks). */
interface TaskScan extends ScanRow {
  actor: string;
}

interface DueRow extends Record<string, unknown> {
  k: string;
  s: string | null;
  location: string | null;
  media: string | null;
}

/** The register row is on an open line of a destruction task already: no scan tasks it again. */
export function onOpenTaskLine(p: Policy): SQL {
  return sql`EXISTS (SELECT 1 FROM lethe.destruction_task_lines l
    WHERE l.policy_id = ${p.id} AND l.state = 'open' AND l.record_key = ${col(p.source.key)}::text)`;
}

/** What a manual policy's scan of `mode` may put into a task at `asOf`, holds aside. */
export function taskable(p: Policy, mode: ScanMode, asOf: Date): SQL {
  // An erasure request ignores the clock, never the floor (a floored box is simply not tasked yet).
  return mode === 'erasure' ? sql`${whereFilter(p)} AND ${floorPassed(p, asOf)}` : eligible(p, asOf);
}

export async function openTasksForScan(ctx: EngineContext, rules: Ruleset, scanId: string, taskDue: Duration): Promise<OpenedTasks> {
  return ctx.db.transaction(async (tx) => {
    const none: OpenedTasks = { added: 0, held: 0, unmapped: 0, tasks: [] };
    const scan = await one<TaskScan>(tx, sql`SELECT s.run_id::text, s.policy_id, s.policy_version, s.status, s.mode, s.subject, s.cursor,
        (extract(epoch FROM s.as_of) * 1000)::float8 AS as_of_ms, r.actor
      FROM lethe.scans s JOIN lethe.runs r ON r.id = s.run_id WHERE s.id = ${scanId} FOR UPDATE OF s`);
    if (!scan) throw new Error(`scan ${scanId} does not exist`);
    if (scan.status === 'done' || scan.status === 'failed') return none;
    const p = rules.get(scan.policy_id);
    if (!p || p.version !== scan.policy_version) {
      throw new PolicyChangedError(`policy ${scan.policy_id} changed or was removed since scan ${scanId} began`);
    }
    if (p.action.kind !== 'manual') throw new Error(`policy ${p.id} is not a manual policy`);
    const result = scan.mode === 'restricted' ? none : await openTasks(tx, ctx, rules, p, p.action.register, scan, taskDue);
    await tx.execute(sql`UPDATE lethe.scans SET status = 'done', subject = NULL, cursor = NULL, pages = pages + 1, found = found + ${result.added},
      finished_at = ${new Date()} WHERE id = ${scanId}`);
    return result;
  });
}

async function openTasks(
  tx: Tx, ctx: EngineContext, rules: Ruleset, p: Policy, register: Register, scan: TaskScan, taskDue: Duration,
): Promise<OpenedTasks> {
  // One opener per policy at a time, so two scans never open two tasks for the same method.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCKS.tasks}, hashtext(${p.id}))`);
  const asOf = new Date(Number(scan.as_of_ms));
  const subject = scan.subject === null ? sql`true` : subjectIs(p, scan.subject, rules.types.baseOf(p.source, p.source.subject));
  const due = await rows<DueRow>(tx, sql`SELECT ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s,
      ${col(register.location)}::text AS location, ${col(register.mediaClass)}::text AS media
    FROM ${sourceTable(p)} t
    WHERE ${taskable(p, scan.mode, asOf)} AND ${subject}
      AND NOT ${onOpenTaskLine(p)}
    ORDER BY ${col(p.source.key)} LIMIT ${MAX_LINES_PER_SCAN}`);
  const holds = await heldSubjects(tx, p.id);
  const byMethod = new Map<string, (DueRow & { ref: string | null })[]>();
  let held = 0;
  let unmapped = 0;
  for (const r of due) {
    const ref = r.s === null ? null : subjectRef(ctx.keys, r.s);
    const method = r.media === null ? undefined : register.methods[r.media];
    if (ref !== null && holds.has(ref)) held++;
    else if (method === undefined) unmapped++;
    else byMethod.set(method, [...(byMethod.get(method) ?? []), { ...r, ref }]);
  }
  if (unmapped > 0) ctx.log.warn({ policy: p.id, rows: unmapped }, 'register rows are due but their media class has no destruction method: add it to register.methods');
  const now = ctx.clock.now();
  const trigger = triggerOf(p, scan.mode);
  const out: OpenedTasks = { added: 0, held, unmapped, tasks: [] };
  for (const [method, lines] of byMethod) {
    const task = await openTaskFor(tx, p, method, trigger, scan.actor, now, taskDue);
    const table = qualifiedName(p.source);
    const keys = lines.map((l) => l.k);
    const added = await rows<{ k: string }>(tx, sql`INSERT INTO lethe.destruction_task_lines
        (task_id, policy_id, record_key, record_ref, subject_ref, location, media_class, state, added_at)
      SELECT ${task.id}, ${p.id}, u.k, u.r, u.s, u.l, u.m, 'open', ${now}
      FROM unnest(${sql.param(keys)}::text[], ${sql.param(keys.map((k) => recordRef(ctx.keys, table, k)))}::text[],
        ${sql.param(lines.map((l) => l.ref))}::text[], ${sql.param(lines.map((l) => l.location))}::text[],
        ${sql.param(lines.map((l) => l.media))}::text[]) AS u(k, r, s, l, m)
      ON CONFLICT (policy_id, record_key) WHERE state = 'open' DO NOTHING
      RETURNING record_key AS k`);
    if (added.length === 0) continue;
    const base = taskEvidenceBase(p, { id: task.id, runId: task.runId, policyVersion: p.version }, trigger, scan.actor, now);
    const refs = new Map(lines.map((l) => [l.k, l.ref]));
    await appendTaskEvidence(tx, ctx.keys, added.map((a) => ({
      ...base, action: 'task_opened', table, recordRef: recordRef(ctx.keys, table, a.k), subjectRef: refs.get(a.k) ?? null,
      fields: { task: task.id, method, due_by: task.dueBy.toISOString() },
    })), now);
    out.added += added.length;
    out.tasks.push(task.id);
  }
  return out;
}

/**
 * The policy's task for `method` that is still only opened (nobody approved it yet, so it may
 * grow), or a new one with its own run. An approved task never grows: approval binds to its lines.
 */
async function openTaskFor(tx: Tx, p: Policy, method: string, trigger: string, actor: string, now: Date, taskDue: Duration) {
  const open = await one<{ id: string; run_id: string; due_ms: number }>(tx, sql`SELECT id, run_id::text,
      (extract(epoch FROM due_by) * 1000)::float8 AS due_ms FROM lethe.destruction_tasks
    WHERE policy_id = ${p.id} AND method = ${method} AND status = 'opened' AND policy_version = ${p.version}
    ORDER BY opened_at DESC LIMIT 1 FOR UPDATE`);
  if (open) return { id: open.id, runId: open.run_id, dueBy: new Date(Number(open.due_ms)) };
  const id = `dt-${randomBytes(6).toString('hex')}`;
  const runId = await createRun(tx, { kind: 'task', trigger, actor, at: now });
  const dueBy = addDuration(now, taskDue);
  await tx.execute(sql`INSERT INTO lethe.destruction_tasks (id, policy_id, policy_version, method, status, run_id, opened_by, opened_at, due_by)
    VALUES (${id}, ${p.id}, ${p.version}, ${method}, 'opened', ${runId}, ${actor}, ${now}, ${dueBy})`);
  return { id, runId, dueBy };
}

/** Register rows the scans of a run put into tasks (a sweep's `tasked`). */
export async function linesTasked(db: Executor, runId: string, policyId: string): Promise<number> {
  const r = await one<{ n: string }>(db, sql`SELECT coalesce(sum(found), 0)::text AS n FROM lethe.scans
    WHERE run_id = ${runId} AND policy_id = ${policyId}`);
  return Number(r?.n ?? 0);
}
