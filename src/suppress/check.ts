// Asking the suppression list, and lifting a refusal. `check` answers whether a subject or a
// contact point may be contacted for a purpose; a lift needs the consent table to show the
// consent granted again (a refusal stands until the subject says otherwise), and lifts the
// subject's contact points with them.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { one, qualified, rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import type { Policy } from '../policy/types.ts';
import { canonicalSubject, subjectEquals } from '../subjects/canonical.ts';
import { ConflictError, UsageError } from '../errors.ts';
import { contactKindOfValue, normaliseContact, suppressionHash, type SuppressKind } from './contacts.ts';
import { suppressPurpose } from './record.ts';

export interface SuppressionQuery {
  purpose: string;
  subject?: string | undefined;
  contact?: string | undefined;
}

export interface SuppressionAnswer {
  purpose: string;
  /** What was looked up: the subject, or the kind of contact point the value is. */
  kind: SuppressKind;
  suppressed: boolean;
  /** When the oldest standing refusal was recorded. */
  since: string | null;
  /** consent_withdrawn, erasure_request. */
  reasons: string[];
}

/** The purposes some loaded policy keeps a suppression list for. */
export function suppressionPurposes(rules: Ruleset): string[] {
  return [...new Set(rules.policies.flatMap((p) => suppressPurpose(p) ?? []))].sort();
}

function policiesFor(rules: Ruleset, purpose: string): Policy[] {
  const found = rules.policies.filter((p) => suppressPurpose(p) === purpose);
  if (found.length === 0) {
    throw new UsageError(`no loaded policy keeps a suppression list for purpose "${purpose}"; purposes with one: ${suppressionPurposes(rules).join(', ') || '(none: add suppress: [...] to a consent_withdrawn policy)'}`);
  }
  return found;
}

/** The hash to look up, from exactly one of subject and contact. */
function lookup(keys: Keys, rules: Ruleset, q: SuppressionQuery): { kind: SuppressKind; hash: string } {
  if ((q.subject === undefined) === (q.contact === undefined)) throw new UsageError('give exactly one of a subject id or a contact (phone number or e-mail address)');
  const policies = policiesFor(rules, q.purpose);
  if (q.subject !== undefined) {
    const id = canonicalSubject(rules, q.subject, policies.map((p) => p.id));
    return { kind: 'subject', hash: suppressionHash(keys.suppressKey, 'subject', id) };
  }
  const kind = contactKindOfValue(q.contact!);
  return { kind, hash: suppressionHash(keys.suppressKey, kind, normaliseContact(kind, q.contact!)) };
}

export async function checkSuppression(db: Executor, keys: Keys, rules: Ruleset, q: SuppressionQuery): Promise<SuppressionAnswer> {
  const { kind, hash } = lookup(keys, rules, q);
  const r = await one<{ since: string | null; reasons: string[] | null }>(db, sql`SELECT
      to_char(min(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since, array_agg(DISTINCT reason ORDER BY reason) AS reasons
    FROM lethe.suppressions WHERE purpose = ${q.purpose} AND kind = ${kind} AND hash = ${hash} AND lifted_at IS NULL`);
  const since = r?.since ?? null;
  return { purpose: q.purpose, kind, suppressed: since !== null, since, reasons: since === null ? [] : r?.reasons ?? [] };
}

export interface Lift {
  purpose: string;
  subject: string;
  actor: string;
  reason: string;
}

/** Does a consent table of the purpose's policies show the subject's consent granted and standing? */
async function consentStands(ctx: EngineContext, rules: Ruleset, p: Policy, id: string): Promise<boolean> {
  if (p.trigger.kind !== 'consent_withdrawn') return false;
  const c = p.trigger.consent;
  const column = sql`c.${sql.identifier(c.subject)}`;
  const hit = await rows<{ one: number }>(ctx.db, sql`SELECT 1 AS one FROM ${qualified(c.schema, c.table)} c
    WHERE ${subjectEquals(column, id, rules.types.baseOf(c, c.subject))} AND c.${sql.identifier(c.purposeColumn)} = ${c.purpose}
      AND c.${sql.identifier(c.withdrawnAt)} IS NULL LIMIT 1`);
  return hit.length > 0;
}

/** Lifts a subject's refusal for a purpose (and their contact points'); returns the entries lifted. */
export async function liftSuppression(ctx: EngineContext, rules: Ruleset, l: Lift): Promise<number> {
  const reason = l.reason.trim();
  if (reason === '') throw new UsageError('a lift needs a reason: where the renewed consent is recorded');
  const policies = policiesFor(rules, l.purpose);
  const id = canonicalSubject(rules, l.subject, policies.map((p) => p.id));
  let stands = false;
  for (const p of policies) stands ||= await consentStands(ctx, rules, p, id);
  if (!stands) {
    throw new ConflictError(`the consent table shows no standing consent of this subject for purpose "${l.purpose}": the refusal stands until the consent is recorded as granted again`);
  }
  const lifted = await rows<{ id: string }>(ctx.db, sql`UPDATE lethe.suppressions SET lifted_at = ${ctx.clock.now()}, lifted_by = ${l.actor}, lift_reason = ${reason}
    WHERE purpose = ${l.purpose} AND subject_hash = ${suppressionHash(ctx.keys.suppressKey, 'subject', id)} AND lifted_at IS NULL RETURNING id::text`);
  return lifted.length;
}
