// `lethe tasks list|show`, GET /destruction-tasks, the metrics and the overview: where each
// paper/media destruction task stands, and which are overdue (not confirmed by `due_by`).
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one, rows, utcIso } from '../db/sql.ts';
import { humanAge } from '../partners/status.ts';
import type { TaskStatus } from './steps.ts';

export interface TaskView {
  id: string;
  policy: string;
  policy_version: string;
  method: string;
  status: TaskStatus;
  /** Lines still to destroy (open), destroyed, and taken out (held by a legal hold, gone). */
  lines: { open: number; destroyed: number; held: number; gone: number };
  opened_by: string;
  opened_at: string;
  due_by: string;
  overdue: boolean;
  /** Seconds past `due_by` while not confirmed; 0 otherwise. */
  overdue_seconds: number;
  overdue_for: string | null;
  approved_by: string | null;
  approved_at: string | null;
  handed_over_by: string | null;
  handed_over_at: string | null;
  executor: string | null;
  handover_note: string | null;
  confirmed_by: string | null;
  confirmed_at: string | null;
  witness: string | null;
  certificate: string | null;
}

/** An open line: the register key is what the archive clerk looks for. */
export interface TaskLineView {
  key: string;
  location: string | null;
  media_class: string;
  record_ref: string;
}

export interface ListOptions {
  /** Only tasks past their deadline and not confirmed. */
  overdue?: boolean;
  /** Confirmed tasks too (default: only those still to do). */
  all?: boolean;
}

const overdueAt = (now: Date): SQL => sql`(t.status <> 'confirmed' AND t.due_by < ${now})`;

function select(now: Date, where: SQL): SQL {
  return sql`SELECT t.id, t.policy_id, t.policy_version, t.method, t.status, t.opened_by, ${utcIso(sql`t.opened_at`)} AS opened_at,
      ${utcIso(sql`t.due_by`)} AS due_by, ${overdueAt(now)} AS overdue,
      greatest(0, floor(extract(epoch FROM (${now}::timestamptz - t.due_by))))::float8 AS late_s,
      t.approved_by, ${utcIso(sql`t.approved_at`)} AS approved_at, t.handed_over_by, ${utcIso(sql`t.handed_over_at`)} AS handed_over_at,
      t.executor, t.handover_note, t.confirmed_by, ${utcIso(sql`t.confirmed_at`)} AS confirmed_at, t.witness, t.certificate,
      (SELECT count(*) FILTER (WHERE l.state = 'open') FROM lethe.destruction_task_lines l WHERE l.task_id = t.id)::int AS open_n,
      (SELECT count(*) FILTER (WHERE l.state = 'destroyed') FROM lethe.destruction_task_lines l WHERE l.task_id = t.id)::int AS destroyed_n,
      (SELECT count(*) FILTER (WHERE l.state = 'held') FROM lethe.destruction_task_lines l WHERE l.task_id = t.id)::int AS held_n,
      (SELECT count(*) FILTER (WHERE l.state = 'gone') FROM lethe.destruction_task_lines l WHERE l.task_id = t.id)::int AS gone_n
    FROM lethe.destruction_tasks t WHERE ${where} ORDER BY t.due_by, t.id LIMIT 1000`;
}

function toView(r: Record<string, unknown>): TaskView {
  const overdue = r.overdue === true;
  const late = overdue ? Number(r.late_s) : 0;
  return {
    id: String(r.id), policy: String(r.policy_id), policy_version: String(r.policy_version), method: String(r.method),
    status: r.status as TaskStatus,
    lines: { open: Number(r.open_n), destroyed: Number(r.destroyed_n), held: Number(r.held_n), gone: Number(r.gone_n) },
    opened_by: String(r.opened_by), opened_at: String(r.opened_at), due_by: String(r.due_by),
    overdue, overdue_seconds: late, overdue_for: overdue ? humanAge(late) : null,
    approved_by: (r.approved_by as string | null) ?? null, approved_at: (r.approved_at as string | null) ?? null,
    handed_over_by: (r.handed_over_by as string | null) ?? null, handed_over_at: (r.handed_over_at as string | null) ?? null,
    executor: (r.executor as string | null) ?? null, handover_note: (r.handover_note as string | null) ?? null,
    confirmed_by: (r.confirmed_by as string | null) ?? null, confirmed_at: (r.confirmed_at as string | null) ?? null,
    witness: (r.witness as string | null) ?? null, certificate: (r.certificate as string | null) ?? null,
  };
}

export async function listTasks(db: Executor, now: Date, opts: ListOptions = {}): Promise<TaskView[]> {
  const where = opts.overdue ? overdueAt(now) : opts.all ? sql`true` : sql`t.status <> 'confirmed'`;
  return (await rows(db, select(now, where))).map(toView);
}

export async function getTask(db: Executor, id: string, now: Date): Promise<(TaskView & { open_lines: TaskLineView[] }) | undefined> {
  const r = await one(db, select(now, sql`t.id = ${id}`));
  if (!r) return undefined;
  const lines = await rows<{ k: string; location: string | null; media_class: string; record_ref: string }>(db, sql`SELECT record_key AS k,
      location, media_class, record_ref FROM lethe.destruction_task_lines WHERE task_id = ${id} AND state = 'open'
    ORDER BY location NULLS LAST, record_key`);
  return { ...toView(r), open_lines: lines.map((l) => ({ key: l.k, location: l.location, media_class: l.media_class, record_ref: l.record_ref })) };
}

export interface TaskCounts {
  /** Tasks per status (confirmed included). */
  byStatus: Record<TaskStatus, number>;
  overdue: number;
  /** Seconds the oldest overdue task is past its deadline; 0 when none is. */
  oldestOverdueSeconds: number;
}

/** For /metrics and the overview page. */
export async function taskCounts(db: Executor, now: Date): Promise<TaskCounts> {
  const r = await one<Record<string, string>>(db, sql`SELECT
      count(*) FILTER (WHERE status = 'opened')::text AS opened, count(*) FILTER (WHERE status = 'approved')::text AS approved,
      count(*) FILTER (WHERE status = 'handed_over')::text AS handed_over, count(*) FILTER (WHERE status = 'confirmed')::text AS confirmed,
      count(*) FILTER (WHERE status <> 'confirmed' AND due_by < ${now})::text AS overdue,
      coalesce(max(extract(epoch FROM (${now}::timestamptz - due_by))) FILTER (WHERE status <> 'confirmed' AND due_by < ${now}), 0)::text AS oldest
    FROM lethe.destruction_tasks`);
  return {
    byStatus: { opened: Number(r!.opened), approved: Number(r!.approved), handed_over: Number(r!.handed_over), confirmed: Number(r!.confirmed) },
    overdue: Number(r!.overdue),
    oldestOverdueSeconds: Math.floor(Number(r!.oldest)),
  };
}
