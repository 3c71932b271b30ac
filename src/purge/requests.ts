// Manual purges with four-eyes approval. The requester's plan (exact records, hashed) is
// stored; a different operator approves that plan, not a recomputed one; execution destroys
// only records in it that are still due and not held. Unapproved requests expire.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { one, rows, utcIso } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import { NotFoundError, ConflictError, FourEyesError, UsageError } from '../errors.ts';
import { addDuration, type Duration } from '../duration.ts';
import { createRun, recordPolicyVersion } from '../pipeline/runs.ts';
import { computePurgePlan, planHash, targetText, type PlannedPolicy, type PurgeTarget } from './plan.ts';
import { samePerson } from '../operators/identity.ts';
import { newBatchId } from '../evidence/batch-id.ts';

export type PurgeStatus = 'pending' | 'approved' | 'executed' | 'expired';

export interface PurgeView {
  id: string;
  kind: 'policy' | 'subject';
  policy: string | null;
  subject_ref: string | null;
  reason: string;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  status: PurgeStatus;
  approved_by: string | null;
  approved_at: string | null;
  plan: { policies: PlannedPolicy[]; total: number; hash: string };
  /** Once executed: what went, and what was skipped (became held, changed, or no longer due). */
  outcome: { destroyed: number; anonymised: number; held: number; skipped: number; failed: number } | null;
}

export interface NewPurge {
  target: PurgeTarget;
  reason: string;
  requestedBy: string;
  ttl: Duration;
}

export async function requestPurge(ctx: EngineContext, rules: Ruleset, req: NewPurge): Promise<PurgeView> {
  if (req.reason.trim() === '') throw new UsageError('a manual purge needs a reason');
  if (req.target.kind === 'policy' && !rules.get(req.target.policyId)) {
    throw new UsageError(`"${req.target.policyId}" is not a loaded policy; loaded: ${rules.policies.map((p) => p.id).join(', ')}`);
  }
  const plan = await computePurgePlan(ctx, rules, req.target);
  if (plan.total === 0) throw new UsageError('nothing to purge: no record that may go matches this request (held, floored and not-yet-due records never do)');
  const id = `pr-${randomBytes(6).toString('hex')}`;
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    // Evidence names the policy version; its text must be on record before anything is destroyed.
    for (const planned of plan.policies) await recordPolicyVersion(tx, rules.get(planned.id)!);
    await tx.execute(sql`INSERT INTO lethe.purge_requests (id, kind, policy_id, subject_ref, reason, requested_by, requested_at, expires_at, status, plan, plan_hash)
      VALUES (${id}, ${req.target.kind}, ${req.target.kind === 'policy' ? req.target.policyId : null},
        ${req.target.kind === 'subject' ? subjectRef(ctx.keys, req.target.subject) : null}, ${req.reason}, ${req.requestedBy},
        ${now}, ${addDuration(now, req.ttl)}, 'pending', ${JSON.stringify({ policies: plan.policies, total: plan.total })}::jsonb, ${plan.hash})`);
    for (const item of plan.items) {
      await tx.execute(sql`INSERT INTO lethe.purge_request_items (request_id, policy_id, record_key)
        SELECT ${id}, ${item.policyId}, k FROM unnest(${sql.param(item.keys)}::text[]) AS k`);
    }
  });
  return (await getPurgeRequest(ctx.db, id, now))!;
}

export interface Approval {
  id: string;
  approver: string;
  /** The plan hash the approver saw, when given: approval fails if it is not the stored one. */
  planHash?: string;
}

/**
 * Approves a pending request: the approver must differ from the requester, the request must
 * not have expired, and the plan must be the stored one. Creates the run and its batches (one
 * per `batchSize` keys of the plan) and returns the batch ids for the caller to enqueue.
 */
export async function approvePurge(ctx: EngineContext, a: Approval, batchSize: number): Promise<{ view: PurgeView; runId: string; batchIds: string[] }> {
  const now = ctx.clock.now();
  await expireStalePurgeRequests(ctx.db, now);
  const { runId, batchIds } = await ctx.db.transaction(async (tx) => {
    const r = await one<{ status: string; kind: 'policy' | 'subject'; policy_id: string | null; subject_ref: string | null; requested_by: string;
      expired: boolean; plan_hash: string; plan: { policies: PlannedPolicy[] } }>(tx, sql`SELECT status, kind, policy_id, subject_ref,
        requested_by, expires_at <= ${now} AS expired, plan_hash, plan FROM lethe.purge_requests WHERE id = ${a.id} FOR UPDATE`);
    if (!r) throw new NotFoundError(`no purge request with id ${a.id} (see \`lethe purge list\`)`);
    if (r.status !== 'pending' || r.expired) throw new ConflictError(`purge request ${a.id} is ${r.expired && r.status === 'pending' ? 'expired' : r.status}: only a pending request can be approved`);
    if (samePerson(r.requested_by, a.approver)) {
      const as = a.approver === r.requested_by ? '' : ` (as ${r.requested_by}: one person, however written)`;
      throw new FourEyesError(`four eyes: ${a.approver} requested ${a.id}${as} and cannot approve it too; another operator must`);
    }
    if (a.planHash !== undefined && a.planHash !== r.plan_hash) throw new ConflictError(`the plan of ${a.id} is not the one you reviewed (hash ${r.plan_hash.slice(0, 12)}…)`);
    const items = await rows<{ policy_id: string; keys: string[] }>(tx, sql`SELECT policy_id, array_agg(record_key ORDER BY record_key) AS keys
      FROM lethe.purge_request_items WHERE request_id = ${a.id} GROUP BY policy_id ORDER BY policy_id`);
    const target = targetText(ctx.keys, r.kind === 'policy' ? { kind: 'policy', policyId: r.policy_id! } : { kind: 'subject', subjectRef: r.subject_ref! });
    if (planHash(ctx.keys, target, r.plan.policies, items.map((i) => ({ policyId: i.policy_id, keys: i.keys }))) !== r.plan_hash) {
      throw new ConflictError(`the stored plan of ${a.id} does not match its hash: refusing to execute it`);
    }
    const runId = await createRun(tx, { kind: 'manual', trigger: 'manual', actor: r.requested_by, at: now });
    await tx.execute(sql`UPDATE lethe.purge_requests SET status = 'approved', approved_by = ${a.approver}, approved_at = ${now}, run_id = ${runId} WHERE id = ${a.id}`);
    const ids: string[] = [];
    const versions = new Map(r.plan.policies.map((p) => [p.id, p.version]));
    for (const item of items) {
      for (let i = 0; i < item.keys.length; i += batchSize) {
        const keys = item.keys.slice(i, i + batchSize);
        const batchId = newBatchId();
        await tx.execute(sql`INSERT INTO lethe.batches (id, run_id, policy_id, policy_version, trigger, actor, keys, size, status, created_at)
          VALUES (${batchId}, ${runId}, ${item.policy_id}, ${versions.get(item.policy_id)!}, 'manual', ${r.requested_by},
            ${sql.param(keys)}::text[], ${keys.length}, 'pending', ${new Date()})`);
        ids.push(batchId);
      }
    }
    // The keys now live in the batches (cleared as each completes).
    await tx.execute(sql`DELETE FROM lethe.purge_request_items WHERE request_id = ${a.id}`);
    return { runId, batchIds: ids };
  });
  return { view: (await getPurgeRequest(ctx.db, a.id, now))!, runId, batchIds };
}

/**
 * Pending requests past their approval window become `expired`, and their plans' business
 * keys are deleted: nothing of an unapproved request lingers. Run before each approval and by
 * the worker's maintenance tick.
 */
export async function expireStalePurgeRequests(db: Executor, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await rows<{ id: string }>(tx, sql`UPDATE lethe.purge_requests SET status = 'expired'
      WHERE status = 'pending' AND expires_at <= ${now} RETURNING id`);
    if (expired.length > 0) {
      await tx.execute(sql`DELETE FROM lethe.purge_request_items WHERE request_id = ANY(${sql.param(expired.map((e) => e.id))}::text[])`);
    }
    return expired.length;
  });
}

const VIEW = sql`p.id, p.kind, p.policy_id AS policy, p.subject_ref, p.reason, p.requested_by, p.status, p.approved_by, p.plan, p.plan_hash,
  p.expires_at <= now() AS expired_now, p.run_id::text AS run_id,
  ${utcIso(sql`p.requested_at`)} AS requested_at,
  ${utcIso(sql`p.expires_at`)} AS expires_at,
  ${utcIso(sql`p.approved_at`)} AS approved_at,
  (SELECT json_build_object('destroyed', coalesce(sum(b.destroyed), 0), 'anonymised', coalesce(sum(b.anonymised), 0),
     'held', coalesce(sum(b.held), 0), 'skipped', coalesce(sum(b.skipped), 0),
     'failed', coalesce(sum(CASE WHEN b.status = 'failed' THEN b.size ELSE 0 END), 0),
     'open', count(*) FILTER (WHERE b.status = 'pending'))
   FROM lethe.batches b WHERE b.run_id = p.run_id) AS outcome`;

function toView(r: Record<string, unknown>, now: Date): PurgeView {
  const plan = r.plan as { policies: PlannedPolicy[]; total: number };
  const o = r.outcome as { destroyed: number; anonymised: number; held: number; skipped: number; failed: number; open: number } | null;
  let status = r.status as PurgeStatus;
  if (status === 'pending' && new Date(String(r.expires_at)).getTime() <= now.getTime()) status = 'expired';
  if (status === 'approved' && o && Number(o.open) === 0) status = 'executed';
  return {
    id: String(r.id), kind: r.kind as PurgeView['kind'], policy: (r.policy as string | null) ?? null,
    subject_ref: (r.subject_ref as string | null) ?? null, reason: String(r.reason), requested_by: String(r.requested_by),
    requested_at: String(r.requested_at), expires_at: String(r.expires_at), status,
    approved_by: (r.approved_by as string | null) ?? null, approved_at: (r.approved_at as string | null) ?? null,
    plan: { policies: plan.policies, total: plan.total, hash: String(r.plan_hash) },
    outcome: status === 'executed' && o ? { destroyed: Number(o.destroyed), anonymised: Number(o.anonymised), held: Number(o.held), skipped: Number(o.skipped), failed: Number(o.failed) } : null,
  };
}

export async function getPurgeRequest(db: Executor, id: string, now: Date = new Date()): Promise<PurgeView | undefined> {
  const r = await one<Record<string, unknown>>(db, sql`SELECT ${VIEW} FROM lethe.purge_requests p WHERE p.id = ${id}`);
  return r ? toView(r, now) : undefined;
}

export async function listPurgeRequests(db: Executor, now: Date = new Date()): Promise<PurgeView[]> {
  return (await rows<Record<string, unknown>>(db, sql`SELECT ${VIEW} FROM lethe.purge_requests p ORDER BY p.requested_at DESC, p.id`)).map((r) => toView(r, now));
}

/** What the purge transaction needs of the request behind a manual batch: who, why, and its target to re-check each record against. */
export async function purgeRequestOfRun(db: Executor, runId: string): Promise<{ id: string; kind: 'policy' | 'subject'; subject_ref: string | null; requested_by: string; approved_by: string; reason: string } | undefined> {
  return one(db, sql`SELECT id, kind, subject_ref, requested_by, approved_by, reason FROM lethe.purge_requests WHERE run_id = ${runId}`);
}
