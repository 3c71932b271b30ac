// `lethe report`: figures a regulator asks for over a period — what was destroyed (by category,
// trigger, action, partner), erasure requests and how fast they were answered (PIPL art. 50),
// restrictions and legal holds. Counts and dates only: nothing here identifies anyone.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { workingDaysLeft } from '../erasure/workdays.ts';
import { inSnapshot } from '../evidence/rows.ts';

export interface Count {
  key: string;
  records: number;
}

export interface Report {
  from: string;
  to: string;
  /** Overdue is judged at min(to, now): a request still inside its deadline is not late yet. */
  as_of: string;
  evidence: {
    /** Evidence rows: records and child rows destroyed or anonymised, deferrals, partner events. */
    total: number;
    by_category: Count[];
    by_trigger: Count[];
    by_action: Count[];
    /** Files in object storage deleted (or given up) with their records, per data category. */
    objects_by_category: { key: string; deleted: number; failed: number }[];
    /** `key` is '' for evidence that involves no partner (all of it until partners land). */
    by_partner: Count[];
  };
  erasure_requests: {
    received: number;
    completed: number;
    partially_deferred: number;
    held: number;
    failed: number;
    open: number;
    overdue: number;
    response_working_days: { answered: number; median: number | null; max: number | null };
  };
  restrictions: { placed: number; open_at_end: number };
  holds: { placed: number; released: number; active_at_end: number };
}

type Request = { status: string; received_at: string; due_at: string; completed_at: string | null };

export async function buildReport(db: Executor, range: { from: Date; to: Date }, now: Date): Promise<Report> {
  return inSnapshot(db, (tx) => reportIn(tx, range, now));
}

async function reportIn(db: Executor, { from, to }: { from: Date; to: Date }, now: Date): Promise<Report> {
  const f = from.toISOString();
  const t = to.toISOString();
  const asOf = new Date(Math.min(to.getTime(), now.getTime()));
  const by = async (col: 'category' | 'trigger' | 'action' | 'partner'): Promise<Count[]> =>
    (await rows<{ key: string | null; n: string }>(db, sql`SELECT ${sql.identifier(col)} AS key, count(*)::text AS n FROM lethe.evidence
      WHERE occurred_at >= ${f}::timestamptz AND occurred_at < ${t}::timestamptz GROUP BY 1 ORDER BY 2 DESC, 1`))
      .map((r) => ({ key: r.key ?? '', records: Number(r.n) }));
  const byCategory = await by('category');
  // Files deleted from object storage with their records (`objects:`), per data category.
  const objectsByCategory = (await rows<{ key: string; deleted: string; failed: string }>(db, sql`SELECT category AS key,
      count(*) FILTER (WHERE action = 'object_deleted')::text AS deleted, count(*) FILTER (WHERE action = 'object_failed')::text AS failed
    FROM lethe.evidence WHERE action IN ('object_deleted', 'object_failed')
      AND occurred_at >= ${f}::timestamptz AND occurred_at < ${t}::timestamptz GROUP BY 1 ORDER BY 1`))
    .map((r) => ({ key: r.key, deleted: Number(r.deleted), failed: Number(r.failed) }));

  const iso = (c: string) => sql`to_char(${sql.identifier(c)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${sql.identifier(c)}`;
  const requests = await rows<Request>(db, sql`SELECT status, ${iso('received_at')}, ${iso('due_at')}, ${iso('completed_at')}
    FROM lethe.erasure_requests WHERE received_at >= ${f}::timestamptz AND received_at < ${t}::timestamptz`);
  const status = (s: string) => requests.filter((r) => r.status === s).length;
  const answered = requests.filter((r) => r.completed_at !== null && r.status !== 'failed');
  const days = answered.map((r) => workingDaysLeft(new Date(r.received_at), new Date(r.completed_at!))).sort((a, b) => a - b);
  const overdue = requests.filter((r) => {
    const due = new Date(r.due_at).getTime();
    return r.completed_at !== null && r.status !== 'failed' ? new Date(r.completed_at).getTime() > due : due < asOf.getTime();
  }).length;

  const [restr] = await rows<{ placed: string; open: string }>(db, sql`SELECT
      count(*) FILTER (WHERE created_at >= ${f}::timestamptz)::text AS placed,
      count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= ${t}::timestamptz)::text AS open
    FROM lethe.restrictions WHERE created_at < ${t}::timestamptz`);
  const [holds] = await rows<{ placed: string; released: string; active: string }>(db, sql`SELECT
      count(*) FILTER (WHERE placed_at >= ${f}::timestamptz AND placed_at < ${t}::timestamptz)::text AS placed,
      count(*) FILTER (WHERE released_at >= ${f}::timestamptz AND released_at < ${t}::timestamptz)::text AS released,
      count(*) FILTER (WHERE placed_at < ${t}::timestamptz AND (released_at IS NULL OR released_at >= ${t}::timestamptz))::text AS active
    FROM lethe.holds`);
  return {
    from: f, to: t, as_of: asOf.toISOString(),
    evidence: {
      total: byCategory.reduce((s, c) => s + c.records, 0),
      by_category: byCategory, by_trigger: await by('trigger'), by_action: await by('action'), by_partner: await by('partner'),
      objects_by_category: objectsByCategory,
    },
    erasure_requests: {
      received: requests.length, completed: status('completed'), partially_deferred: status('partially_deferred'),
      held: status('held'), failed: status('failed'), open: status('received') + status('in_progress'), overdue,
      response_working_days: { answered: days.length, median: median(days), max: days.at(-1) ?? null },
    },
    restrictions: { placed: Number(restr!.placed), open_at_end: Number(restr!.open) },
    holds: { placed: Number(holds!.placed), released: Number(holds!.released), active_at_end: Number(holds!.active) },
  };
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
