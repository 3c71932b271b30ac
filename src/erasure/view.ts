import type { ErasurePolicyOutcome, ErasureStatus, ErasureView } from './types.ts';

const FINAL: ErasureStatus[] = ['completed', 'partially_deferred'];

export function toView(r: Record<string, unknown>, now: Date): ErasureView {
  const outcome = (r.outcome ?? null) as { policies: ErasurePolicyOutcome[]; reply: string } | null;
  const status = r.status as ErasureStatus;
  const dueAt = String(r.due_at);
  return {
    id: String(r.id),
    ticket: String(r.ticket),
    subject_ref: String(r.subject_ref),
    status,
    received_at: String(r.received_at),
    due_at: dueAt,
    completed_at: r.completed_at == null ? null : String(r.completed_at),
    overdue: !FINAL.includes(status) && new Date(dueAt).getTime() < now.getTime(),
    policies: outcome?.policies ?? [],
    reply: outcome?.reply ?? null,
  };
}
