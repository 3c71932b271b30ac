// Prometheus metrics, computed from PostgreSQL at each scrape: every lethe process reports the
// same truth, whichever one is scraped, and nothing is lost when a process restarts.
import { Gauge, Registry } from 'prom-client';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { DUE_SOON_WORKING_DAYS, workingDaysLeft } from '../erasure/workdays.ts';
import { taskCounts } from '../tasks/list.ts';
import { storeCounts } from '../objects/status.ts';
import type { PolicyCounts } from '../plan/plan.ts';
import { batchDurations } from './histogram.ts';

export { DUE_SOON_WORKING_DAYS };

function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

/** What `plan` counts now, per policy: the due gauges. Left out, they are not reported. */
export type DueNow = () => Promise<Pick<PolicyCounts, 'id' | 'due' | 'held' | 'deferred'>[]>;

export async function collectMetrics(db: Executor, now: Date, dueNow?: DueNow): Promise<{ contentType: string; text: string }> {
  const registry = new Registry();
  if (dueNow) {
    // The plan's own counts: what the next sweep would destroy, and what holds and floors keep.
    const due = gauge(registry, 'lethe_records_due', 'Records due now that nothing stops (the next sweep destroys or anonymises them, or puts them into destruction tasks), by policy', ['policy']);
    const heldNow = gauge(registry, 'lethe_records_held', 'Records due now that a legal hold keeps, by policy', ['policy']);
    const deferred = gauge(registry, 'lethe_records_deferred', 'Records due now that a statutory minimum still keeps, by policy', ['policy']);
    for (const c of await dueNow()) {
      due.set({ policy: c.id }, c.due);
      heldNow.set({ policy: c.id }, c.held);
      deferred.set({ policy: c.id }, c.deferred);
    }
  }
  const lastScan = gauge(registry, 'lethe_scan_last_success_timestamp_seconds', 'When the last policy-wide scan of each policy finished (Unix seconds): alert when it is older than a few LETHE_SCAN_EVERY', ['policy']);
  for (const r of await rows<{ policy_id: string; at: string }>(db, sql`SELECT policy_id, extract(epoch FROM max(finished_at))::text AS at
    FROM lethe.scans WHERE status = 'done' AND mode = 'policy' GROUP BY policy_id`)) {
    lastScan.set({ policy: r.policy_id }, Math.floor(Number(r.at)));
  }
  const destroyed = gauge(registry, 'lethe_records_destroyed', 'Records destroyed so far, by policy', ['policy']);
  const anonymised = gauge(registry, 'lethe_records_anonymised', 'Records anonymised so far, by policy', ['policy']);
  const held = gauge(registry, 'lethe_records_held_skips', 'Times a due record was kept by a legal hold, by policy', ['policy']);
  const failed = gauge(registry, 'lethe_batches_failed', 'Purge batches that failed after every attempt, by policy', ['policy']);
  for (const r of await rows<Record<string, string>>(db, sql`SELECT policy_id, sum(destroyed)::text AS d, sum(anonymised)::text AS a,
      sum(held)::text AS h, count(*) FILTER (WHERE status = 'failed')::text AS f FROM lethe.batches GROUP BY policy_id`)) {
    destroyed.set({ policy: r.policy_id! }, Number(r.d));
    anonymised.set({ policy: r.policy_id! }, Number(r.a));
    held.set({ policy: r.policy_id! }, Number(r.h));
    failed.set({ policy: r.policy_id! }, Number(r.f));
  }
  const restricted = gauge(registry, 'lethe_records_restricted', 'Records restricted after an erasure request until their floor ends', ['policy']);
  for (const r of await rows<{ policy_id: string; n: string }>(db, sql`SELECT policy_id, count(*)::text AS n FROM lethe.restrictions WHERE closed_at IS NULL GROUP BY policy_id`)) {
    restricted.set({ policy: r.policy_id }, Number(r.n));
  }
  // Records found again after their destruction committed (src/destroy/post-check.ts). A scan of
  // the evidence by action: a partial index on action = 'verify_failed' would make it cheap.
  const verifyFailed = gauge(registry, 'lethe_verify_failed', 'Records found again after their destruction committed (post-destruction check), by policy', ['policy']);
  for (const r of await rows<{ policy_id: string; n: string }>(db, sql`SELECT policy_id, count(*)::text AS n FROM lethe.evidence WHERE action = 'verify_failed' GROUP BY policy_id`)) {
    verifyFailed.set({ policy: r.policy_id }, Number(r.n));
  }
  const partnerRequests = gauge(registry, 'lethe_partner_requests', 'Partner purge requests by partner and status', ['partner', 'status']);
  const partnerOverdue = gauge(registry, 'lethe_partner_requests_overdue', 'Partner purge requests sent but unconfirmed past their deadline', ['partner']);
  const partnerOldest = gauge(registry, 'lethe_partner_requests_overdue_oldest_seconds', 'Age past its deadline of the oldest unconfirmed partner request', ['partner']);
  for (const r of await rows<{ partner_id: string; status: string; n: string; overdue: string; oldest: string | null }>(db, sql`SELECT partner_id, status, count(*)::text AS n,
      count(*) FILTER (WHERE status = 'sent' AND deadline_at < ${now})::text AS overdue,
      extract(epoch FROM ${now}::timestamptz - min(deadline_at) FILTER (WHERE status = 'sent' AND deadline_at < ${now}))::text AS oldest
    FROM lethe.partner_requests GROUP BY partner_id, status`)) {
    partnerRequests.set({ partner: r.partner_id, status: r.status }, Number(r.n));
    if (r.status === 'sent') {
      partnerOverdue.set({ partner: r.partner_id }, Number(r.overdue));
      partnerOldest.set({ partner: r.partner_id }, r.oldest === null ? 0 : Math.floor(Number(r.oldest)));
    }
  }
  const holds = gauge(registry, 'lethe_holds_active', 'Active legal holds');
  holds.set(Number((await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM lethe.holds WHERE released_at IS NULL`))[0]!.n));

  const byStatus = gauge(registry, 'lethe_erasure_requests', 'Erasure requests by status', ['status']);
  const overdue = gauge(registry, 'lethe_erasure_requests_overdue', 'Open erasure requests past their due date');
  const dueSoon = gauge(registry, 'lethe_erasure_requests_due_soon', `Open erasure requests with ${DUE_SOON_WORKING_DAYS} working days or fewer left`);
  let late = 0;
  let soon = 0;
  const counts = new Map<string, number>();
  for (const r of await rows<{ status: string; due_at: string }>(db, sql`SELECT status, due_at::text FROM lethe.erasure_requests`)) {
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    if (['received', 'in_progress', 'failed'].includes(r.status)) {
      const left = workingDaysLeft(now, new Date(r.due_at));
      if (new Date(r.due_at).getTime() < now.getTime()) late++;
      else if (left <= DUE_SOON_WORKING_DAYS) soon++;
    }
  }
  for (const [status, n] of counts) byStatus.set({ status }, n);
  overdue.set(late);
  dueSoon.set(soon);

  // Paper and media destruction tasks (src/tasks/): overdue = not confirmed by their deadline.
  const tasks = await taskCounts(db, now);
  const taskStatus = gauge(registry, 'lethe_destruction_tasks', 'Paper and media destruction tasks by status', ['status']);
  for (const [status, n] of Object.entries(tasks.byStatus)) taskStatus.set({ status }, n);
  gauge(registry, 'lethe_destruction_tasks_overdue', 'Destruction tasks not confirmed by their deadline (LETHE_TASK_DUE after opening)').set(tasks.overdue);
  gauge(registry, 'lethe_destruction_tasks_overdue_oldest_seconds', 'Seconds the oldest overdue destruction task is past its deadline').set(tasks.oldestOverdueSeconds);

  // Files in object storage whose records were destroyed (src/objects/).
  const objects = gauge(registry, 'lethe_objects', 'Files of destroyed records by store and status (pending, deleted, failed, kept: another record still points to it)', ['store', 'status']);
  const objectsOldest = gauge(registry, 'lethe_objects_pending_oldest_seconds', 'Seconds the oldest pending file deletion has waited since its record was destroyed', ['store']);
  for (const c of await storeCounts(db, now)) {
    for (const status of ['pending', 'deleted', 'failed', 'kept'] as const) objects.set({ store: c.store, status }, c[status]);
    objectsOldest.set({ store: c.store }, c.oldest_pending_seconds);
  }
  return { contentType: registry.contentType, text: `${await registry.metrics()}\n${await batchDurations(db)}` };
}
