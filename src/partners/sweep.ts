// The partner side of "PostgreSQL is the truth": pending requests whose job Redis lost (or whose
// worker died mid-delivery, once its lease ran out) are enqueued again; sent requests past their
// deadline are chased — a warning, and a reminder to the partner at most once a day.
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import type { Enqueue } from '../pipeline/queues.ts';

export const REMINDER_EVERY_MS = 86_400_000;
const SWEEP_LIMIT = 5000;

/** The job id of a request's next attempt: the same attempt is never queued twice. */
export const deliveryJobId = (requestId: string, attempts: number): string => `${requestId}.${attempts}`;

/** Enqueues pending requests due for at least `graceMs`; returns how many. */
export async function enqueueDueRequests(ctx: EngineContext, enqueue: Enqueue, graceMs: number): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - graceMs);
  const due = await rows<{ id: string; partner_id: string; attempts: number }>(ctx.db, sql`SELECT id::text, partner_id, attempts
    FROM lethe.partner_requests WHERE status = 'pending' AND next_attempt_at <= ${before} ORDER BY next_attempt_at LIMIT ${SWEEP_LIMIT}`);
  for (const r of due) await enqueue('notify-partner', { requestId: r.id, partnerId: r.partner_id }, deliveryJobId(r.id, r.attempts));
  return due.length;
}

export interface OverdueSummary {
  partner: string;
  requests: number;
  oldestDeadline: string;
}

/**
 * Marks overdue sent requests as reminded (so several workers never remind twice in a day),
 * logs a warning per partner, and enqueues one reminder delivery per request.
 */
export async function chaseOverdue(ctx: EngineContext, enqueue: Enqueue): Promise<OverdueSummary[]> {
  const now = ctx.clock.now();
  const reminded = await rows<{ id: string; partner_id: string; reminders: number; deadline_at: string }>(ctx.db, sql`
    UPDATE lethe.partner_requests r SET reminded_at = ${now}, reminders = reminders + 1
    FROM (SELECT id FROM lethe.partner_requests WHERE status = 'sent' AND deadline_at < ${now}
            AND (reminded_at IS NULL OR reminded_at <= ${new Date(now.getTime() - REMINDER_EVERY_MS)})
          ORDER BY deadline_at LIMIT ${SWEEP_LIMIT} FOR UPDATE SKIP LOCKED) due
    WHERE r.id = due.id RETURNING r.id::text, r.partner_id, r.reminders, r.deadline_at::text`);
  const byPartner = new Map<string, OverdueSummary>();
  for (const r of reminded) {
    const s = byPartner.get(r.partner_id) ?? { partner: r.partner_id, requests: 0, oldestDeadline: r.deadline_at };
    s.requests++;
    if (new Date(r.deadline_at) < new Date(s.oldestDeadline)) s.oldestDeadline = r.deadline_at;
    byPartner.set(r.partner_id, s);
    await enqueue('notify-partner', { requestId: r.id, partnerId: r.partner_id, reminder: true }, `${r.id}.reminder.${r.reminders}`);
  }
  for (const s of byPartner.values()) {
    ctx.log.warn({ partner: s.partner, requests: s.requests, oldestDeadline: new Date(s.oldestDeadline).toISOString() },
      'partner has not confirmed deletion past its deadline: reminder sent');
  }
  return [...byPartner.values()];
}
