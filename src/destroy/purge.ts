// One purge batch, one transaction: lock the rows, re-check that each is still due and not
// held, destroy children then records, write one evidence row for each, seal the batch into
// the chain, close the batch. Everything commits together or nothing does.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import { recordRef, subjectRef } from '../crypto/keys.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import { appendEvidence, type EvidenceInput } from '../evidence/append.ts';
import { heldSubjects } from '../holds/active.ts';
import { actionPending, col, eligible, floorEnds, floorPassed, sourceTable, sweepableParts, whereFilter } from './predicates.ts';
import { alreadyRestricted, closeRestrictions, deferralFields, restrict, type NewRestriction } from './restrict.ts';
import { destroyChildren } from './children.ts';
import { anonymiseRows } from './anonymise-rows.ts';
import { describeStrategies } from './anonymise.ts';
import { PolicyChangedError } from './scan.ts';
import { queuePartnerRequests, type QueuedRequest } from '../partners/outbox.ts';
import { queueObjectDeletions, type PointerRows, type QueuedObject } from '../objects/outbox.ts';
import { pointerColumns } from '../objects/pointers.ts';
import type { Destroyed } from './post-check.ts';
import { purgeRequestOfRun } from '../purge/requests.ts';
import { floorDefersErasure } from '../policy/floors.ts';

interface BatchRow extends Record<string, unknown> {
  run_id: string;
  policy_id: string;
  policy_version: string;
  trigger: string;
  actor: string;
  keys: string[] | null;
  status: string;
}

export interface PurgeOutcome {
  status: 'done' | 'already-closed';
  destroyed: number;
  anonymised: number;
  children: number;
  held: number;
  /** Kept because a statutory floor still runs (erasure requests): restricted now. */
  deferred: number;
  /** Keys in the batch that were no longer due, gone, or locked by someone else. */
  skipped: number;
  /** Partner purge requests queued in this transaction (`partners: notify`): enqueue after commit. */
  partnerRequests?: QueuedRequest[];
  /** Files queued for deletion in this transaction (`objects:`): enqueue after commit. */
  objectDeletions?: QueuedObject[];
}

const CLOSED: PurgeOutcome = { status: 'already-closed', destroyed: 0, anonymised: 0, children: 0, held: 0, deferred: 0, skipped: 0 };

/**
 * `onDestroyed` receives what the batch destroyed, for the post-destruction check
 * (post-check.ts) to run once this transaction has committed; raw keys, in memory only.
 */
export async function purgeBatch(
  ctx: EngineContext, rules: Ruleset, batchId: string, onDestroyed?: (d: Destroyed) => void,
): Promise<PurgeOutcome> {
  return ctx.db.transaction(async (tx) => {
    // Shared with every other purge, exclusive for `hold add`: a hold, once placed, is seen here.
    await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${LOCKS.holds})`);
    const batch = await one<BatchRow>(tx, sql`SELECT run_id::text, policy_id, policy_version, trigger, actor, keys, status
      FROM lethe.batches WHERE id = ${batchId} FOR UPDATE`);
    if (!batch) throw new Error(`batch ${batchId} does not exist`);
    if (batch.status !== 'pending' || !batch.keys) return CLOSED;
    const p = rules.get(batch.policy_id);
    if (!p || p.version !== batch.policy_version) {
      throw new PolicyChangedError(`policy ${batch.policy_id} changed or was removed since batch ${batchId} was planned`);
    }
    // A register of paper and media is destroyed by people, through a task (src/tasks/): never here.
    if (p.action.kind === 'manual') throw new PolicyChangedError(`policy ${p.id} has action manual: its register is destroyed through tasks, not purge batches`);
    const now = ctx.clock.now();
    const table = { schema: p.source.schema, table: p.source.table };
    const keyType = rules.types.of(table, p.source.key);
    // An erasure request ignores the policy's clock, and a floor no law sets: under a law's
    // floor the records are restricted instead. Otherwise: re-check, under row locks, that
    // each is still due.
    const erasure = batch.trigger === 'erasure_request';
    // A manual purge (four eyes) destroys only keys of its approved plan; a subject purge, like
    // an erasure request, ignores the clock but skips (does not restrict) what a floor keeps.
    const manual = batch.trigger === 'manual' ? await purgeRequestOfRun(tx, batch.run_id) : undefined;
    const clockless = erasure || manual?.kind === 'subject';
    // A policy purge takes what its plan took: due by the clock, or restricted and released.
    const due = clockless ? sql`${whereFilter(p)} AND ${actionPending(p)}`
      : manual ? sql`((${sql.join(sweepableParts(p, now, keyType), sql`) OR (`)}))` : eligible(p, now);
    const locked = await rows<{ k: string; s: string | null; floor_ok: boolean | null; floor_ends: string | null }>(tx, sql`SELECT
        ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s,
        ${floorPassed(p, now)} AS floor_ok, ${floorEnds(p)}::text AS floor_ends
        ${pointerColumns(p.objects.map((o) => o.column), 't')}
      FROM ${sourceTable(p)} t
      WHERE ${col(p.source.key)} = ANY(${sql.param(batch.keys)}::${sql.raw(keyType)}[]) AND ${due}
      FOR UPDATE OF t SKIP LOCKED`);
    const holds = await heldSubjects(tx, p.id);
    // Restricted records keep the erasure request as their reason when they finally go.
    const restricted = await alreadyRestricted(tx, p, locked.map((r) => r.k));
    const refs = new Map<string, string | null>();
    const go: string[] = [];
    const toRestrict: NewRestriction[] = [];
    let held = 0;
    for (const r of locked) {
      // Holds name subjects; a record with no subject is no one's and no hold can reach it.
      const ref = r.s === null ? null : subjectRef(ctx.keys, r.s);
      if (manual?.kind === 'subject' && ref !== manual.subject_ref) {
        // A subject purge destroys that subject's records only: a key planted in its plan or batch is someone else's.
        continue;
      } else if (ref !== null && holds.has(ref)) {
        held++;
      } else if (manual && r.floor_ok !== true) {
        continue;
      } else if (erasure && r.floor_ok !== true && floorDefersErasure(p)) {
        if (!restricted.has(r.k)) {
          toRestrict.push({ key: r.k, recordRef: recordRef(ctx.keys, qualifiedName(p.source), r.k), subjectRef: ref, until: r.floor_ends ? new Date(r.floor_ends) : null });
        }
      } else {
        refs.set(r.k, ref);
        go.push(r.k);
      }
    }
    const base = { ...evidenceBase(p, batch, now), fields: manual ? manualFields(manual) : null };
    const reason = (k: string) => (restricted.has(k) ? 'erasure_request' : batch.trigger);
    const evidence: EvidenceInput[] = toRestrict.map((r) => ({ ...base, action: 'deferred', table: qualifiedName(p.source),
      recordRef: r.recordRef, subjectRef: r.subjectRef, fields: deferralFields(p, r.until) }));
    await restrict(tx, p, erasure ? await requestOfRun(tx, batch.run_id) : null, toRestrict, now);
    const childPointers: PointerRows[] = [];
    const children = await destroyChildren(tx, ctx.keys, rules, p, go, refs, (e) => evidence.push({ ...base, ...e, fields: base.fields }), childPointers);
    let destroyed = 0;
    let anonymised = 0;
    let done: string[] = [];
    if (p.action.kind === 'delete') {
      const gone = await rows<{ k: string }>(tx, sql`DELETE FROM ${sourceTable(p)} t
        WHERE ${col(p.source.key)} = ANY(${sql.param(go)}::${sql.raw(keyType)}[]) RETURNING ${col(p.source.key)}::text AS k`);
      destroyed = gone.length;
      done = gone.map((g) => g.k);
      for (const g of gone) evidence.push({ ...base, trigger: reason(g.k), action: 'delete', table: qualifiedName(p.source), recordRef: recordRef(ctx.keys, qualifiedName(p.source), g.k), subjectRef: refs.get(g.k) ?? null, fields: base.fields });
    } else if (p.action.kind === 'anonymise') {
      const changed = await anonymiseRows(tx, ctx.keys, rules, p, p.action.fields, go);
      anonymised = changed.length;
      done = changed;
      const fields = { ...describeStrategies(p.action.fields), ...base.fields };
      for (const k of changed) evidence.push({ ...base, trigger: reason(k), action: 'anonymise', table: qualifiedName(p.source), recordRef: recordRef(ctx.keys, qualifiedName(p.source), k), subjectRef: refs.get(k) ?? null, fields });
    }
    await closeRestrictions(tx, p, go, now);
    // Only a policy that shares data pays for the ledger lookup.
    const partnerRequests = p.partners === 'notify'
      ? await queuePartnerRequests(tx, ctx, rules, p, { batchId, runId: batch.run_id, trigger: batch.trigger, actor: batch.actor }, locked, done, now)
      : undefined;
    // Files the destroyed rows pointed to: queued here, deleted by the delete-object job after commit.
    const objectDeletions = await queueObjectDeletions(tx, ctx, rules, p, { batchId, runId: batch.run_id, trigger: batch.trigger, actor: batch.actor }, locked, done, refs, childPointers, now);
    const skipped = batch.keys.length - locked.length;
    const deferred = toRestrict.length;
    await closeBatch(tx, batchId, { destroyed, anonymised, children, held, deferred, skipped }, now);
    onDestroyed?.({ batchId, runId: batch.run_id, trigger: batch.trigger, policy: p, keys: go, subjectRefs: refs, evidence });
    // Last statement before commit: the chain lock it takes is held only for the seal insert.
    await appendEvidence(tx, ctx.keys, batchId, evidence, now);
    return { status: 'done', destroyed, anonymised, children, held, deferred, skipped, ...(partnerRequests ? { partnerRequests } : {}), objectDeletions };
  });
}

/** Evidence of a manual purge names who asked, who approved and why. */
function manualFields(m: { id: string; requested_by: string; approved_by: string; reason: string }): Record<string, string> {
  return { purge_request: m.id, requested_by: m.requested_by, approved_by: m.approved_by, reason: m.reason };
}

async function requestOfRun(tx: Tx, runId: string): Promise<string | null> {
  const r = await one<{ id: string }>(tx, sql`SELECT id FROM lethe.erasure_requests WHERE run_id = ${runId}`);
  return r?.id ?? null;
}

function evidenceBase(p: Policy, batch: BatchRow, now: Date) {
  return {
    runId: batch.run_id,
    policyId: p.id,
    policyVersion: p.version,
    category: p.category,
    classification: p.classification,
    trigger: batch.trigger,
    partner: null,
    actor: batch.actor,
    occurredAt: now,
  };
}

async function closeBatch(tx: Tx, batchId: string, o: Omit<PurgeOutcome, 'status'>, now: Date): Promise<void> {
  await tx.execute(sql`UPDATE lethe.batches SET status = 'done', keys = NULL,
    destroyed = ${o.destroyed}, anonymised = ${o.anonymised}, children = ${o.children}, held = ${o.held},
    skipped = ${o.skipped}, attempts = attempts + 1, finished_at = ${now}, error = NULL WHERE id = ${batchId}`);
}

/**
 * After the last attempt failed: the batch is closed as failed, its keys cleared, the reason
 * kept without values. Nothing was destroyed (the transaction rolled back); the next scan
 * finds the records again.
 */
export async function failBatch(ctx: EngineContext, batchId: string, reason: string): Promise<void> {
  await ctx.db.execute(sql`UPDATE lethe.batches SET status = 'failed', keys = NULL, failed = size,
    attempts = attempts + 1, error = ${reason}, finished_at = ${ctx.clock.now()} WHERE id = ${batchId} AND status = 'pending'`);
}
