// Restriction (PIPL art. 47): a record an erasure request asked for but a statutory floor still
// keeps is registered here, with one `deferred` evidence row, and destroyed when the floor ends.
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';

export async function alreadyRestricted(tx: Tx, p: Policy, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const r = await rows<{ k: string }>(tx, sql`SELECT record_key AS k FROM lethe.restrictions
    WHERE policy_id = ${p.id} AND closed_at IS NULL AND record_key = ANY(${sql.param(keys)}::text[])`);
  return new Set(r.map((x) => x.k));
}

export interface NewRestriction {
  key: string;
  recordRef: string;
  subjectRef: string | null;
  /** When the floor ends; null while its clock has not started. */
  until: Date | null;
}

export async function restrict(tx: Tx, p: Policy, requestId: string | null, list: NewRestriction[], now: Date): Promise<void> {
  if (list.length === 0) return;
  await tx.execute(sql`INSERT INTO lethe.restrictions (id, policy_id, record_key, record_ref, subject_ref, request_id, until, created_at)
    SELECT gen_random_uuid(), ${p.id}, u.k, u.r, u.s, ${requestId}, u.until, ${now}
    FROM unnest(${sql.param(list.map((x) => x.key))}::text[], ${sql.param(list.map((x) => x.recordRef))}::text[],
      ${sql.param(list.map((x) => x.subjectRef))}::text[],
      ${sql.param(list.map((x) => (x.until ? x.until.toISOString() : 'infinity')))}::timestamptz[]) AS u(k, r, s, until)`);
}

/** The destroyed records' restrictions are closed in the same transaction. */
export async function closeRestrictions(tx: Tx, p: Policy, destroyedKeys: string[], now: Date): Promise<void> {
  if (destroyedKeys.length === 0) return;
  await tx.execute(sql`UPDATE lethe.restrictions SET closed_at = ${now}, closed_reason = 'destroyed'
    WHERE policy_id = ${p.id} AND closed_at IS NULL AND record_key = ANY(${sql.param(destroyedKeys)}::text[])`);
}

/** Evidence `fields` of a deferral: the floor, when it ends, and under which law. */
export function deferralFields(p: Policy, until: Date | null): Record<string, string> {
  return {
    minimum: p.minimum?.period.iso ?? '',
    until: until ? until.toISOString() : 'after the floor clock starts',
    basis: (p.minimum?.basis ?? []).join('; '),
  };
}

