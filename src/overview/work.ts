// The overview's open work, each list what someone has to act on: erasure requests by their
// deadline (PIPL art. 50), legal holds in force, manual purges waiting for a second operator,
// and files in object storage still to delete. Pseudonymous refs only; times stay UTC ISO here
// and become local on the page.
import type { Executor } from '../db/connect.ts';
import { listErasureRequests } from '../erasure/requests.ts';
import { DUE_SOON_WORKING_DAYS, workingDaysLeft } from '../erasure/workdays.ts';
import type { ErasureView } from '../erasure/types.ts';
import { listHolds, type HoldView } from '../holds/holds.ts';
import { listPurgeRequests, type PurgeView } from '../purge/requests.ts';
import { storeCounts, type StoreCounts } from '../objects/status.ts';

const OPEN: readonly ErasureView['status'][] = ['received', 'in_progress', 'failed'];

export interface OpenErasure extends Pick<ErasureView, 'id' | 'ticket' | 'status' | 'received_at' | 'due_at'> {
  /** Working days until the due date; negative once overdue. */
  working_days_left: number;
  sla: 'overdue' | 'due_soon' | 'on_time';
}

export interface OpenWork {
  /** Open erasure requests, most urgent first. */
  erasure: OpenErasure[];
  holds: HoldView[];
  /** Manual purges waiting for their second operator (four eyes). */
  purges: Pick<PurgeView, 'id' | 'kind' | 'policy' | 'subject_ref' | 'reason' | 'requested_by' | 'requested_at' | 'expires_at' | 'plan'>[];
  /** Per store; empty when no store is configured and nothing was ever queued. */
  objects: StoreCounts[];
}

export async function loadOpenWork(db: Executor, now: Date): Promise<OpenWork> {
  const erasure = (await listErasureRequests(db, now)).filter((r) => OPEN.includes(r.status)).map((r): OpenErasure => {
    const left = workingDaysLeft(now, new Date(r.due_at));
    const sla = new Date(r.due_at).getTime() < now.getTime() ? 'overdue' : left <= DUE_SOON_WORKING_DAYS ? 'due_soon' : 'on_time';
    return { id: r.id, ticket: r.ticket, status: r.status, received_at: r.received_at, due_at: r.due_at, working_days_left: left, sla };
  }).sort((a, b) => a.due_at.localeCompare(b.due_at));
  const purges = (await listPurgeRequests(db, now)).filter((p) => p.status === 'pending');
  return { erasure, holds: await listHolds(db), purges, objects: await storeCounts(db, now) };
}
