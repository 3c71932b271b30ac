import type { ServiceDeps } from '../service.ts';

export interface ConsentWithdrawal {
  subject: string;
  purpose: string;
  /** When the consent was withdrawn; default now. */
  withdrawnAt?: Date;
}

export interface ConsentScheduled {
  policies: { id: string; due_at: string }[];
}

/**
 * Pushes a consent withdrawal: for every consent_withdrawn policy with this purpose, schedules
 * an expedited scan of this subject at withdrawal + retain (no personal data goes to Redis:
 * the subject is kept in the scan row). The scheduled scans remain the fallback.
 */
export async function consentWithdrawn(_deps: ServiceDeps, _event: ConsentWithdrawal): Promise<ConsentScheduled> {
  throw new Error('not implemented yet');
}
