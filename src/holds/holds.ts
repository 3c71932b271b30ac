// Legal holds. Stored by pseudonymous subject ref only: the raw id is hashed on the way in,
// and only in the one spelling the subject columns print (src/subjects/canonical.ts), so a hold
// protects exactly what an erasure or purge of the same input would destroy.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { canonicalSubject } from '../subjects/canonical.ts';

export interface HoldView {
  id: string;
  subject_ref: string;
  policy: string | null;
  reason: string;
  placed_at: string;
  placed_by: string;
}

export interface NewHold {
  subject: string;
  reason: string;
  policyId?: string;
  actor: string;
}

/**
 * Places a hold. It takes the holds lock exclusively, so it waits for purge transactions in
 * flight (which hold it shared) and every purge after it sees the hold: once this returns,
 * nothing the hold covers is destroyed.
 */
export async function addHold(ctx: EngineContext, rules: Ruleset, h: NewHold): Promise<{ id: string; subject_ref: string }> {
  if (h.policyId !== undefined && !rules.get(h.policyId)) {
    throw new UsageError(`"${h.policyId}" is not a loaded policy; loaded: ${rules.policies.map((p) => p.id).join(', ')}`);
  }
  // A hold on one policy is read by that policy's subject column only; one on all, by every one.
  const subject = canonicalSubject(rules, h.subject, h.policyId === undefined ? undefined : [h.policyId]);
  const id = `hold-${randomBytes(6).toString('hex')}`;
  const ref = subjectRef(ctx.keys, subject);
  await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCKS.holds})`);
    await tx.execute(sql`INSERT INTO lethe.holds (id, subject_ref, policy_id, reason, placed_by, placed_at)
      VALUES (${id}, ${ref}, ${h.policyId ?? null}, ${h.reason}, ${h.actor}, ${ctx.clock.now()})`);
  });
  return { id, subject_ref: ref };
}

export async function releaseHold(ctx: EngineContext, id: string, reason: string, actor: string): Promise<void> {
  const released = await one<{ id: string }>(ctx.db, sql`UPDATE lethe.holds
    SET released_at = ${ctx.clock.now()}, released_by = ${actor}, release_reason = ${reason}
    WHERE id = ${id} AND released_at IS NULL RETURNING id`);
  if (!released) {
    const exists = await one<{ id: string }>(ctx.db, sql`SELECT id FROM lethe.holds WHERE id = ${id}`);
    throw new NotFoundError(exists ? `hold ${id} was already released` : `no hold with id ${id} (see \`lethe hold list\`)`);
  }
}

export async function listHolds(db: Executor): Promise<HoldView[]> {
  const r = await rows<Record<string, string | null>>(db, sql`SELECT id, subject_ref, policy_id AS policy, reason, placed_by,
      to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS placed_at
    FROM lethe.holds WHERE released_at IS NULL ORDER BY placed_at, id`);
  return r.map((h) => ({ id: h.id!, subject_ref: h.subject_ref!, policy: h.policy ?? null, reason: h.reason!, placed_at: h.placed_at!, placed_by: h.placed_by! }));
}
