// Writing the suppression list, in the destroying transaction: when a subject's consent for a
// purpose is withdrawn, or an erasure request covers a policy with `suppress:`, the keyed hashes
// of the subject and of the contact columns the policy names are kept — before the rows that
// hold those contacts go, so the refusal outlives them. A held or restricted record is
// suppressed too: the refusal stands whatever keeps the data.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/connect.ts';
import { arrayParam, qualified, rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import type { Logger } from '../log.ts';
import type { Policy } from '../policy/types.ts';
import { LetheError } from '../errors.ts';
import { normaliseContact, suppressionHash, type SuppressKind } from './contacts.ts';

/** The triggers that mean the subject refused: a withdrawal, or a request to erase. */
const REFUSALS = new Set(['consent_withdrawn', 'erasure_request']);

export interface SuppressionContext {
  keys: Keys;
  log: Logger;
  trigger: string;
  runId: string;
  now: Date;
}

/** The purpose a policy's refusals are recorded under, when it keeps a suppression list. */
export function suppressPurpose(p: Policy): string | undefined {
  return p.suppress.length > 0 && p.trigger.kind === 'consent_withdrawn' ? p.trigger.consent.purpose : undefined;
}

/** Does a batch of this trigger record refusals for this policy? */
export function suppressesOn(p: Policy, trigger: string): boolean {
  return suppressPurpose(p) !== undefined && REFUSALS.has(trigger);
}

/**
 * Records the refusal of the subjects of `recordKeys` (the rows the batch locked; cast with
 * `keyType`). Returns how many list entries were new.
 */
export async function recordSuppressions(tx: Tx, c: SuppressionContext, p: Policy, recordKeys: readonly string[], keyType: string): Promise<number> {
  const purpose = suppressPurpose(p);
  if (purpose === undefined || !suppressesOn(p, c.trigger) || recordKeys.length === 0) return 0;
  const t = (name: string) => sql`t.${sql.identifier(name)}::text`;
  const found = await rows<Record<string, string | null>>(tx, sql`SELECT ${t(p.source.subject)} AS subject,
      ${sql.join(p.suppress.map((s, i) => sql`${t(s.column)} AS ${sql.identifier(`c${i}`)}`), sql`, `)}
    FROM ${qualified(p.source.schema, p.source.table)} t
    WHERE t.${sql.identifier(p.source.key)} = ANY(${arrayParam(recordKeys)}::${sql.raw(keyType)}[])`);
  const entries = new Map<string, { kind: SuppressKind; hash: string; subjectHash: string }>();
  let unreadable = 0;
  for (const r of found) {
    // A record with no subject is no one's refusal.
    const subject = r.subject;
    if (subject === null || subject === undefined) continue;
    const subjectHash = suppressionHash(c.keys.suppressKey, 'subject', subject);
    entries.set(`subject|${subjectHash}`, { kind: 'subject', hash: subjectHash, subjectHash });
    p.suppress.forEach((s, i) => {
      const value = r[`c${i}`];
      if (value === null || value === undefined || value.trim() === '') return;
      try {
        const hash = suppressionHash(c.keys.suppressKey, s.kind, normaliseContact(s.kind, value));
        entries.set(`${s.kind}|${hash}|${subjectHash}`, { kind: s.kind, hash, subjectHash });
      } catch (e) {
        if (!(e instanceof LetheError)) throw e;
        unreadable++;
      }
    });
  }
  // Counts only: the value itself must not reach a log.
  if (unreadable > 0) c.log.warn({ policy: p.id, contacts: unreadable }, 'contact values no normalisation reads were left off the suppression list');
  if (entries.size === 0) return 0;
  const list = [...entries.values()];
  const inserted = await rows<{ id: string }>(tx, sql`INSERT INTO lethe.suppressions (id, purpose, kind, hash, subject_hash, policy_id, reason, run_id, created_at)
    SELECT u.id, ${purpose}, u.kind, u.hash, u.subject_hash, ${p.id}, ${c.trigger}, ${c.runId}::uuid, ${c.now}
    FROM unnest(${arrayParam(list.map(() => randomUUID()))}::uuid[], ${arrayParam(list.map((e) => e.kind))}::text[],
      ${arrayParam(list.map((e) => e.hash))}::text[], ${arrayParam(list.map((e) => e.subjectHash))}::text[]) AS u(id, kind, hash, subject_hash)
    ON CONFLICT (purpose, kind, hash, subject_hash) WHERE lifted_at IS NULL DO NOTHING
    RETURNING id::text`);
  return inserted.length;
}
