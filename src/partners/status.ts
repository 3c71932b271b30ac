// `lethe partners status`: where every partner request stands, overdue ones with their age.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';

export interface PartnerCounts {
  partner: string;
  pending: number;
  sent: number;
  confirmed: number;
  failed: number;
  overdue: number;
}

export interface OverdueRequest {
  request_id: string;
  partner: string;
  sent_at: string;
  deadline: string;
  /** Seconds past the deadline. */
  overdue_seconds: number;
  /** The same, for people: `3d 4h`. */
  overdue_for: string;
  reminders: number;
}

export interface FailedRequest {
  request_id: string;
  partner: string;
  failed_at: string;
  error: string | null;
}

export interface PartnersStatus {
  partners: PartnerCounts[];
  overdue: OverdueRequest[];
  failed: FailedRequest[];
}

export function humanAge(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}

const iso = (v: string) => new Date(v).toISOString();

export async function partnersStatus(db: Executor, now: Date): Promise<PartnersStatus> {
  const counts = await rows<Record<string, string>>(db, sql`SELECT partner_id,
      count(*) FILTER (WHERE status = 'pending')::text AS pending, count(*) FILTER (WHERE status = 'sent')::text AS sent,
      count(*) FILTER (WHERE status = 'confirmed')::text AS confirmed, count(*) FILTER (WHERE status = 'failed')::text AS failed,
      count(*) FILTER (WHERE status = 'sent' AND deadline_at < ${now})::text AS overdue
    FROM lethe.partner_requests GROUP BY partner_id ORDER BY partner_id`);
  const overdue = await rows<{ id: string; partner_id: string; sent_at: string; deadline_at: string; reminders: number }>(db, sql`
    SELECT id::text, partner_id, sent_at::text, deadline_at::text, reminders FROM lethe.partner_requests
    WHERE status = 'sent' AND deadline_at < ${now} ORDER BY deadline_at, id LIMIT 1000`);
  const failed = await rows<{ id: string; partner_id: string; failed_at: string; last_error: string | null }>(db, sql`
    SELECT id::text, partner_id, failed_at::text, last_error FROM lethe.partner_requests
    WHERE status = 'failed' ORDER BY failed_at DESC, id LIMIT 1000`);
  return {
    partners: counts.map((c) => ({
      partner: c.partner_id!, pending: Number(c.pending), sent: Number(c.sent), confirmed: Number(c.confirmed),
      failed: Number(c.failed), overdue: Number(c.overdue),
    })),
    overdue: overdue.map((o) => {
      const secs = Math.floor((now.getTime() - new Date(o.deadline_at).getTime()) / 1000);
      return { request_id: o.id, partner: o.partner_id, sent_at: iso(o.sent_at), deadline: iso(o.deadline_at), overdue_seconds: secs, overdue_for: humanAge(secs), reminders: Number(o.reminders) };
    }),
    failed: failed.map((f) => ({ request_id: f.id, partner: f.partner_id, failed_at: iso(f.failed_at), error: f.last_error })),
  };
}
