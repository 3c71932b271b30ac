// A pushed consent withdrawal: the subject's data under every policy that depends on that
// consent is scanned as soon as the grace period (`retain`) has run, instead of waiting for the
// next scheduled scan. The scan row holds the subject; Redis only the scan id.
import { UsageError } from '../errors.ts';
import { addDuration } from '../duration.ts';
import type { ServiceDeps } from '../service.ts';
import { createRun, createScan } from '../pipeline/runs.ts';
import { canonicalSubject } from '../subjects/canonical.ts';

export interface ConsentWithdrawal {
  subject: string;
  purpose: string;
  /** When the consent was withdrawn; default now. */
  withdrawnAt?: Date;
  actor?: string;
}

export interface ConsentScheduled {
  policies: { id: string; due_at: string }[];
}

/**
 * The business system records the withdrawal in its consent table; this only hastens the scan.
 * At scan time the consent table decides: a re-granted consent means nothing is destroyed.
 */
export async function consentWithdrawn(deps: ServiceDeps, event: ConsentWithdrawal): Promise<ConsentScheduled> {
  const policies = deps.rules.policies.filter((p) => p.trigger.kind === 'consent_withdrawn' && p.trigger.consent.purpose === event.purpose);
  if (policies.length === 0) {
    const purposes = [...new Set(deps.rules.policies.flatMap((p) => (p.trigger.kind === 'consent_withdrawn' ? [p.trigger.consent.purpose] : [])))];
    throw new UsageError(`no loaded policy acts on a withdrawal of consent for purpose "${event.purpose}"; purposes with policies: ${purposes.join(', ') || '(none)'}`);
  }
  const subject = canonicalSubject(deps.rules, event.subject, policies.map((p) => p.id));
  const now = deps.ctx.clock.now();
  const withdrawnAt = event.withdrawnAt ?? now;
  const out: ConsentScheduled = { policies: [] };
  for (const p of policies) {
    const dueAt = addDuration(withdrawnAt, p.retain);
    const scanId = await deps.ctx.db.transaction(async (tx) => {
      const runId = await createRun(tx, { kind: 'consent', trigger: 'consent_withdrawn', actor: event.actor ?? 'lethe:consent-event', at: now });
      // Due-ness is judged at the end of the grace period, when the job runs.
      return createScan(tx, runId, p, dueAt, { mode: 'subject', subject });
    });
    await deps.enqueue('scan-policy', { policyId: p.id, scanId }, scanId, { delayMs: dueAt.getTime() - now.getTime() });
    out.policies.push({ id: p.id, due_at: dueAt.toISOString() });
  }
  return out;
}
