// The plan a manual purge is approved against: the exact records, per policy, that it may
// destroy, with a hash the approval binds to. Built with the same predicates as the sweep
// (policy) or the erasure request (subject); held and floored records are never in it.
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { recordRef, subjectRef, type Keys } from '../crypto/keys.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import { actionPending, col, floorPassed, sourceTable, subjectIs, sweepableParts, whereFilter } from '../destroy/predicates.ts';
import { heldSubjects } from '../holds/active.ts';
import { UsageError } from '../errors.ts';
import { canonicalSubject } from '../subjects/canonical.ts';

/** A manual purge is for a bounded, reviewable set; larger work is what sweeps are for. */
export const MAX_MANUAL_PURGE_RECORDS = 100_000;
const SAMPLES = 3;

export type PurgeTarget = { kind: 'policy'; policyId: string } | { kind: 'subject'; subject: string };

export interface PlannedPolicy {
  id: string;
  version: string;
  action: 'delete' | 'anonymise' | 'manual';
  records: number;
  /** A few pseudonymous record refs, so the approver can spot-check what is meant. */
  samples: string[];
}

export interface PurgePlan {
  policies: PlannedPolicy[];
  total: number;
  /** HMAC (plan key) over the target, the policy versions and the sorted keys: what the approval binds to. */
  hash: string;
  items: { policyId: string; keys: string[] }[];
}

async function keysFor(ctx: EngineContext, rules: Ruleset, p: Policy, target: PurgeTarget, now: Date): Promise<string[]> {
  const type = rules.types.baseOf(p.source, p.source.subject);
  const parts = target.kind === 'policy'
    ? sweepableParts(p, now, rules.types.of(p.source, p.source.key))
    : [sql`${whereFilter(p)} AND ${actionPending(p)} AND ${floorPassed(p, now)} AND ${subjectIs(p, target.subject, type)}`];
  const found = await rows<{ k: string; s: string | null }>(ctx.db, sql`SELECT k, s FROM (${sql.join(parts.map((w) => sql`
    SELECT ${col(p.source.key)} AS key, ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s FROM ${sourceTable(p)} t WHERE ${w}`), sql` UNION ALL `)}) x
    ORDER BY key LIMIT ${MAX_MANUAL_PURGE_RECORDS + 1}`);
  if (found.length > MAX_MANUAL_PURGE_RECORDS) {
    throw new UsageError(`policy ${p.id} has more than ${MAX_MANUAL_PURGE_RECORDS} records to purge: too many to review by hand; let \`lethe sweep\` or the workers take them`);
  }
  const holds = await heldSubjects(ctx.db, p.id);
  return found.filter((r) => r.s === null || !holds.has(subjectRef(ctx.keys, r.s))).map((r) => r.k);
}

export async function computePurgePlan(ctx: EngineContext, rules: Ruleset, target: PurgeTarget): Promise<PurgePlan> {
  const now = ctx.clock.now();
  if (target.kind === 'subject') canonicalSubject(rules, target.subject);
  // Paper and media are destroyed by people through tasks (`lethe tasks`), never by a purge.
  const manual = rules.policies.filter((p) => p.action.kind === 'manual');
  if (target.kind === 'policy' && manual.some((p) => p.id === target.policyId)) {
    throw new UsageError(`policy ${target.policyId} has action manual: its register is destroyed through destruction tasks (\`lethe tasks list\`), not a purge`);
  }
  const chosen = target.kind === 'policy' ? rules.policies.filter((p) => p.id === target.policyId) : rules.policies.filter((p) => !manual.includes(p));
  const items: PurgePlan['items'] = [];
  const policies: PlannedPolicy[] = [];
  for (const p of chosen) {
    const keys = await keysFor(ctx, rules, p, target, now);
    if (keys.length === 0) continue;
    items.push({ policyId: p.id, keys });
    policies.push({ id: p.id, version: p.version, action: p.action.kind, records: keys.length,
      samples: keys.slice(0, SAMPLES).map((k) => recordRef(ctx.keys, qualifiedName(p.source), k)) });
  }
  const total = policies.reduce((a, p) => a + p.records, 0);
  return { policies, total, items, hash: planHash(ctx.keys, targetText(ctx.keys, target), policies, items) };
}

/** What a plan is for, as hashed: a policy's id, or the subject's pseudonym (never the raw id). */
export function targetText(keys: Keys, target: PurgeTarget | { kind: 'subject'; subjectRef: string }): string {
  if (target.kind === 'policy') return `policy:${target.policyId}`;
  return `subject:${'subjectRef' in target ? target.subjectRef : subjectRef(keys, target.subject)}`;
}

/**
 * Keyed with LETHE_SECRET: an unkeyed digest stored next to the plan could be recomputed by
 * anyone who can write lethe's tables after adding other people's keys to the plan.
 */
export function planHash(keys: Keys, target: string, policies: Pick<PlannedPolicy, 'id' | 'version'>[], items: PurgePlan['items']): string {
  const h = createHmac('sha256', keys.planKey);
  h.update(`target ${target}\n`);
  for (const p of [...policies].sort((a, b) => a.id.localeCompare(b.id))) h.update(`policy ${p.id} ${p.version}\n`);
  for (const i of [...items].sort((a, b) => a.policyId.localeCompare(b.policyId))) {
    for (const k of [...i.keys].sort()) h.update(`${i.policyId} ${k}\n`);
  }
  return h.digest('hex');
}
