// One purge batch, one transaction: lock the rows, re-check that each is still due and not
// held, destroy children then records, write one evidence row for each, seal the batch into
// the chain, close the batch. Everything commits together or nothing does.
//
// The common case — a scheduled expiry or consent batch, no hold on the policy, no record of it
// restricted — is one statement that locks the due rows, deletes their children and them
// (statement.ts). Otherwise the rows are locked first and each is judged here: held, restricted
// by an erasure request's floor, outside a manual request's target, or free to go.
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { LOCKS, PARTITION_LANES, partitionLane, rows } from '../db/sql.ts';
import { recordRef } from '../crypto/keys.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import { appendSealed, EvidenceRows, type EvidenceKind } from '../evidence/append.ts';
import { PolicyChangedError } from '../errors.ts';
import { actionPending, col, eligible, floorEnds, floorPassed, sourceTable, sweepableParts, whereFilter } from './predicates.ts';
import { alreadyRestricted, closeRestrictions, deferralFields, restrict, type NewRestriction } from './restrict.ts';
import { queuePartnerRequests, type QueuedRequest } from '../partners/outbox.ts';
import { queueObjectDeletions, type PointerRows, type QueuedObject } from '../objects/outbox.ts';
import { pointerAlias, pointerColumns } from '../objects/pointers.ts';
import { floorDefersErasure } from '../policy/floors.ts';
import { recordSuppressions, suppressesOn } from '../suppress/record.ts';
import { purgeActionOf, type PurgeAction } from './actions/index.ts';
import { chosen, destroyRows, type DestroyedRows } from './statement.ts';
import type { Victims } from './actions/types.ts';
import { batchKeys, closeBatch, loadBatch, type BatchRow, type ManualRequest } from './batch-row.ts';
import { SubjectRefs } from './subject-refs.ts';
import type { Destroyed } from './post-check.ts';
import { pseudonym } from './anonymise.ts';

export { failBatch } from './batch-row.ts';

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

interface Judged {
  /** The statement's victims: found and locked by it (fast path) or already locked and chosen here. */
  victims: Victims;
  held: number;
  /** Rows locked, when they were locked before the destroying statement. */
  locked: number | null;
  toRestrict: NewRestriction[];
  restricted: ReadonlySet<string>;
}

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
    const batch = await loadBatch(tx, batchId);
    if (!batch.open) return CLOSED;
    const p = rules.get(batch.policyId);
    if (!p || p.version !== batch.policyVersion) {
      throw new PolicyChangedError(`policy ${batch.policyId} changed or was removed since batch ${batchId} was planned`);
    }
    // Never beside a drop of one of the table's partitions, in any lane (src/destroy/partitions/drop.ts).
    await tx.execute(sql`SELECT count(pg_advisory_xact_lock_shared(${LOCKS.partitions}, ${partitionLane(qualifiedName(p.source), sql`l`)}))
      FROM generate_series(0, ${PARTITION_LANES - 1}) AS l`);
    const action = purgeActionOf(p);
    const now = ctx.clock.now();
    const refs = new SubjectRefs(ctx.keys);
    const keys = batchKeys(batchId, rules.types.of(p.source, p.source.key));
    const judged = await judge(tx, ctx, rules, p, action, batch, keys, now, refs);
    const gone = await destroyRows(tx, rules, p, action, judged.victims);

    const evidence = new EvidenceRows();
    const base = { runId: batch.runId, policyId: p.id, policyVersion: p.version, category: p.category, classification: p.classification,
      partner: null, actor: batch.actor, occurredAt: now };
    const manualFields = batch.manual && requestFields(batch.manual);
    const kind = (k: Omit<EvidenceKind, keyof typeof base>) => evidence.kind({ ...base, ...k });
    for (const r of judged.toRestrict) {
      evidence.add(kind({ trigger: batch.trigger, action: 'deferred', table: qualifiedName(p.source), fields: deferralFields(p, r.until) }), r.recordRef, r.subjectRef);
    }
    await restrict(tx, p, batch.erasureRequest, judged.toRestrict, now);
    const childKinds = p.children.map((c) => kind({ trigger: batch.trigger, action: 'delete', table: qualifiedName(c), fields: manualFields }));
    const children: Destroyed['children'] = p.children.map((c) => ({ table: qualifiedName(c), refs: new Map() }));
    const table = qualifiedName(p.source);
    const fields = action.fields(p) || manualFields ? { ...action.fields(p), ...manualFields } : null;
    const sourceKind = kind({ trigger: batch.trigger, action: action.evidenceAction, table, fields });
    // Records an erasure request restricted earlier go, when their floor has run, as its records.
    const restrictedKind = judged.restricted.size > 0 ? kind({ trigger: 'erasure_request', action: action.evidenceAction, table, fields }) : -1;
    const done: string[] = [];
    const doneSubjects: (string | null)[] = [];
    for (let n = 0; n < gone.i.length; n++) {
      const i = gone.i[n]!;
      const k = gone.k[n]!;
      const subject = refs.of(gone.s[n]!);
      if (i === 0) {
        done.push(k);
        doneSubjects.push(gone.s[n]!);
        evidence.add(judged.restricted.has(k) ? restrictedKind : sourceKind, recordRef(ctx.keys, table, k), subject);
      } else {
        const child = children[i - 1]!;
        const ref = recordRef(ctx.keys, child.table, k);
        child.refs.set(ref, subject);
        evidence.add(childKinds[i - 1]!, ref, subject);
      }
    }

    if (batch.restrictionsOpen) await closeRestrictions(tx, p, done, now);
    // Only a policy that shares data pays for the ledger lookup.
    const partnerRequests = p.partners === 'notify'
      ? await queuePartnerRequests(tx, ctx, rules, p, { batchId, runId: batch.runId, trigger: batch.trigger, actor: batch.actor },
        done.map((k, n) => ({ k, s: doneSubjects[n]! })), done, now)
      : undefined;
    // Files the destroyed rows pointed to: queued here, deleted by the delete-object job after commit.
    const objectDeletions = gone.o
      ? await queueObjectDeletions(tx, ctx, rules, p, { batchId, runId: batch.runId, trigger: batch.trigger, actor: batch.actor },
        ...pointerRows(p, gone, refs), now)
      : undefined;
    const counts = {
      destroyed: action.evidenceAction === 'delete' ? done.length : 0,
      anonymised: action.evidenceAction === 'anonymise' ? done.length : 0,
      children: gone.i.length - done.length,
      held: judged.held,
      deferred: judged.toRestrict.length,
      skipped: batch.size - (judged.locked ?? done.length),
    };
    onDestroyed?.({ batchId, runId: batch.runId, trigger: batch.trigger, policy: p, keys: done,
      subjectRefs: new Map(done.map((k, n) => [k, refs.of(doneSubjects[n]!)])), children });
    // Last before commit: the chain lock the seal takes is held only for the seal and this row.
    const sealed = await appendSealed(tx, ctx.keys, batchId, evidence, now);
    await closeBatch(tx, batchId, counts, sealed, now);
    return { status: 'done', ...counts, ...(partnerRequests ? { partnerRequests } : {}), ...(objectDeletions ? { objectDeletions } : {}) };
  });
}

/**
 * Decides which locked rows go. Without holds, restrictions, a request behind the batch or
 * values to read first, the destroying statement locks and takes the due rows itself.
 */
async function judge(
  tx: Tx, ctx: EngineContext, rules: Ruleset, p: Policy, action: PurgeAction, batch: BatchRow, keys: SQL, now: Date, refs: SubjectRefs,
): Promise<Judged> {
  const erasure = batch.trigger === 'erasure_request';
  // A manual purge (four eyes) destroys only keys of its approved plan; a subject purge, like
  // an erasure request, ignores the clock but never a floor, and only its subject's records go.
  const clockless = erasure || batch.manual?.kind === 'subject';
  // A policy purge takes what its plan took: due by the clock, or restricted and released.
  const due = clockless ? sql`${whereFilter(p)} AND ${actionPending(p)}`
    : batch.manual ? sql`((${sql.join(sweepableParts(p, now, rules.types.of(p.source, p.source.key)), sql`) OR (`)}))` : eligible(p, now);
  const values = action.readsValues(p);
  // A refusal's contact points are read (and hashed) before the rows go: the slow path.
  if (batch.holds.size === 0 && !batch.restrictionsOpen && !erasure && !batch.manual && values.length === 0 && !suppressesOn(p, batch.trigger)) {
    return { victims: { kind: 'due', keys, due }, held: 0, locked: null, toRestrict: [], restricted: new Set() };
  }
  const locked = await rows<Record<string, string | null> & { k: string; s: string | null; floor_ok: boolean | null; floor_ends: string | null }>(tx, sql`SELECT
      ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s,
      ${floorPassed(p, now)} AS floor_ok, ${floorEnds(p)}::text AS floor_ends
      ${sql.join(values.map((c, i) => sql`, ${col(c)}::text AS ${sql.identifier(`h${i}`)}`), sql``)}
      ${pointerColumns(p.objects.map((o) => o.column), 't')}
    FROM ${sourceTable(p)} t
    WHERE ${col(p.source.key)} = ANY(${keys}) AND ${due}
    FOR UPDATE OF t SKIP LOCKED`);
  await recordSuppressions(tx, { keys: ctx.keys, log: ctx.log, trigger: batch.trigger, runId: batch.runId, now }, p, locked.map((r) => r.k),
    rules.types.of(p.source, p.source.key));
  const restricted = batch.restrictionsOpen ? await alreadyRestricted(tx, p, locked.map((r) => r.k)) : new Set<string>();
  const go: typeof locked = [];
  const toRestrict: NewRestriction[] = [];
  let held = 0;
  for (const r of locked) {
    // Holds name subjects; a record with no subject is no one's and no hold can reach it.
    const ref = refs.of(r.s);
    if (batch.manual?.kind === 'subject' && ref !== batch.manual.subject_ref) {
      // A subject purge destroys that subject's records only: a key planted in its plan or batch is someone else's.
      continue;
    } else if (ref !== null && batch.holds.has(ref)) {
      held++;
    } else if (batch.manual) {
      if (r.floor_ok !== true) continue;
      go.push(r);
    } else if (erasure && r.floor_ok !== true && floorDefersErasure(p)) {
      // Only a period a law sets keeps what the subject asked to erase (PIPL art. 47).
      if (!restricted.has(r.k)) {
        toRestrict.push({ key: r.k, recordRef: recordRef(ctx.keys, qualifiedName(p.source), r.k), subjectRef: ref, until: r.floor_ends ? new Date(r.floor_ends) : null });
      }
    } else {
      go.push(r);
    }
  }
  const pseudonyms = values.map((_, i) => go.map((r) => (r[`h${i}`] == null ? null : pseudonym(ctx.keys, r[`h${i}`]!))));
  const pointers = p.objects.map((_, i) => go.map((r) => r[pointerAlias(i)] ?? null));
  return { victims: { kind: 'chosen', rows: chosen(p, rules, go.map((r) => r.k), go.map((r) => r.s), { pseudonyms, pointers }) }, held, locked: locked.length, toRestrict, restricted };
}

/** Evidence of a manual purge names who asked, who approved and why. */
function requestFields(m: ManualRequest): Record<string, string> {
  return { purge_request: m.id, requested_by: m.requested_by, approved_by: m.approved_by, reason: m.reason };
}

/** The destroyed rows' pointers, in the shape the object outbox reads (source rows, then children). */
export function pointerRows(p: Policy, gone: DestroyedRows, refs: SubjectRefs): [Record<string, unknown>[], string[], Map<string, string | null>, PointerRows[]] {
  const source: Record<string, unknown>[] = [];
  const subjects = new Map<string, string | null>();
  const children: PointerRows[] = p.children.map((c) => ({ table: c, objects: c.objects, rows: [], key: (r) => String(r.k), subjectRef: (r) => (r.s as string | null) }));
  gone.i.forEach((i, n) => {
    const row: Record<string, unknown> = { k: gone.k[n]!, s: refs.of(gone.s[n]!) };
    (gone.o?.[n] ?? []).forEach((v, j) => (row[pointerAlias(j)] = v));
    if (i === 0) {
      source.push(row);
      subjects.set(gone.k[n]!, row.s as string | null);
    } else {
      (children[i - 1]!.rows as Record<string, unknown>[]).push(row);
    }
  });
  return [source, source.map((r) => r.k as string), subjects, children.filter((c) => c.objects.length > 0)];
}
