// `lethe objects status`, /metrics and the overview: where every file left to delete stands, per
// store. Deletions are named by their id and the object's ref, never by key or URI.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { humanAge } from '../partners/status.ts';

export interface StoreCounts {
  store: string;
  pending: number;
  deleted: number;
  failed: number;
  /** Not deleted: a record lethe keeps still points to the file (src/objects/shared.ts). */
  kept: number;
  /** Seconds the oldest pending deletion has waited since its record was destroyed; 0 when none. */
  oldest_pending_seconds: number;
}

export interface OpenDeletion {
  deletion_id: string;
  store: string;
  object_ref: string;
  policy: string;
  record_ref: string;
  attempts: number;
  queued_at: string;
  /** Pending: when the next attempt is due; failed: when it gave up. */
  at: string;
  error: string | null;
}

export interface ObjectsStatus {
  stores: StoreCounts[];
  pending: (OpenDeletion & { waiting_for: string })[];
  failed: OpenDeletion[];
}

const LISTED = 1000;
const iso = (v: string) => new Date(v).toISOString();

export async function storeCounts(db: Executor, now: Date): Promise<StoreCounts[]> {
  const counts = await rows<Record<string, string>>(db, sql`SELECT store_id,
      count(*) FILTER (WHERE status = 'pending')::text AS pending, count(*) FILTER (WHERE status = 'deleted')::text AS deleted,
      count(*) FILTER (WHERE status = 'failed')::text AS failed, count(*) FILTER (WHERE status = 'kept')::text AS kept,
      coalesce(floor(extract(epoch FROM ${now}::timestamptz - min(created_at) FILTER (WHERE status = 'pending'))), 0)::text AS oldest
    FROM lethe.object_deletions GROUP BY store_id ORDER BY store_id`);
  return counts.map((c) => ({
    store: c.store_id!, pending: Number(c.pending), deleted: Number(c.deleted), failed: Number(c.failed), kept: Number(c.kept),
    oldest_pending_seconds: Math.max(0, Number(c.oldest)),
  }));
}

export async function objectsStatus(db: Executor, now: Date): Promise<ObjectsStatus> {
  const list = (status: 'pending' | 'failed') => rows<Record<string, string | number | null>>(db, sql`SELECT id::text, store_id, object_ref, policy_id,
      record_ref, attempts, created_at::text, ${status === 'pending' ? sql`next_attempt_at` : sql`finished_at`}::text AS at, last_error
    FROM lethe.object_deletions WHERE status = ${status} ORDER BY created_at, id LIMIT ${LISTED}`);
  const shape = (r: Record<string, string | number | null>): OpenDeletion => ({
    deletion_id: String(r.id), store: String(r.store_id), object_ref: String(r.object_ref), policy: String(r.policy_id),
    record_ref: String(r.record_ref), attempts: Number(r.attempts), queued_at: iso(String(r.created_at)), at: iso(String(r.at)),
    error: r.last_error === null ? null : String(r.last_error),
  });
  return {
    stores: await storeCounts(db, now),
    pending: (await list('pending')).map((r) => {
      const d = shape(r);
      return { ...d, waiting_for: humanAge(Math.max(0, Math.floor((now.getTime() - new Date(d.queued_at).getTime()) / 1000))) };
    }),
    failed: (await list('failed')).map(shape),
  };
}
