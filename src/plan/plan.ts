// The dry run. Counts what a sweep at `now` would do, with the same predicates the scan and
// the purge use, so that a plan followed by a sweep destroys exactly what the plan counted.
import { countDueObjects } from '../objects/plan.ts';
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import type { Policy } from '../policy/types.ts';
import { candidates, col, eligible, floorPassed, isRestricted, sourceTable, subjectIs, sweepableParts } from '../destroy/predicates.ts';
import { onOpenTaskLine } from '../tasks/open.ts';
import { heldSubjects } from '../holds/active.ts';
import { previewErasure, type ErasurePreview } from './erasure-preview.ts';
import type { FloorKind } from '../policy/schema.ts';
import { canonicalSubject } from '../subjects/canonical.ts';
import { planPartitions } from '../destroy/partitions/index.ts';

/** The contract's per-policy shape for `plan --json` and `sweep --json`. */
export interface PolicyCounts {
  /** Files in object storage the due records point to (policies with `objects:` only). */
  objects?: number;
  id: string;
  /** `manual`: paper and media; `due` lines go into destruction tasks, never destroyed by a sweep. */
  action: 'delete' | 'anonymise' | 'manual';
  due: number;
  held: number;
  deferred: number;
  /** Restricted after an erasure request: kept until the floor ends, then destroyed. */
  restricted: number;
  destroyed: number;
  anonymised: number;
  failed: number;
  /**
   * Manual policies only. In `plan`: register rows already on an open destruction task (the
   * people have them; a sweep does not task them again, so they are not `due`). In `sweep`:
   * the rows this sweep put into tasks (its `due`).
   */
  tasked?: number;
  /** Who set the policy's floor (`law` defers an erasure request, the others yield to it); null: none. */
  floor?: FloorKind | null;
  /** With a subject: what an erasure request for them would do now. */
  on_erasure?: ErasurePreview;
  /**
   * A source range-partitioned on the policy's clock (src/destroy/partitions/): of `due`, the
   * rows of the partitions a sweep would drop whole (`whole` partitions), and the rows left to batches.
   */
  partitions?: { whole: number; whole_rows: number; batch_rows: number };
}

export interface PlanOptions {
  now: Date;
  /** Only this data subject's records. */
  subject?: string;
  /** Count whole partitions as a sweep with LETHE_DROP_PARTITIONS on drops them (default: yes). */
  wholePartitions?: boolean;
}

function subjectFilter(rules: Ruleset, p: Policy, subject: string | undefined): SQL {
  return subject === undefined ? sql`true` : subjectIs(p, subject, rules.types.baseOf(p.source, p.source.subject));
}

async function countWhere(db: Executor, p: Policy, where: SQL): Promise<number> {
  const [r] = await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sourceTable(p)} t WHERE ${where}`);
  return Number(r!.n);
}

/** The sum of counts over disjoint parts, each counted through its own index. */
async function countParts(db: Executor, p: Policy, parts: SQL[]): Promise<number> {
  let n = 0;
  for (const where of parts) n += await countWhere(db, p, where);
  return n;
}

const keyType = (rules: Ruleset, p: Policy): string => rules.types.of(p.source, p.source.key);

/**
 * Records the statutory floor still keeps although their time has come: their retention ran
 * out, or an erasure request asked for them (those are also counted as `restricted`).
 */
export async function countDeferred(db: Executor, rules: Ruleset, p: Policy, opts: PlanOptions): Promise<number> {
  if (!p.minimum) return 0;
  const kept = sql`NOT ${floorPassed(p, opts.now)} AND ${subjectFilter(rules, p, opts.subject)}`;
  const due = candidates(p, opts.now);
  return countParts(db, p, [sql`${due} AND ${kept}`, sql`${isRestricted(p, keyType(rules, p))} AND (${due}) IS NOT TRUE AND ${kept}`]);
}

/** Records an erasure request left restricted whose floor still runs (not due yet). */
export async function countRestricted(db: Executor, rules: Ruleset, p: Policy, opts: PlanOptions): Promise<number> {
  return countWhere(db, p, sql`${isRestricted(p, keyType(rules, p))} AND NOT ${floorPassed(p, opts.now)} AND ${subjectFilter(rules, p, opts.subject)}`);
}

/**
 * What a sweep at `now` would take, as disjoint parts. A manual policy's scan puts due register
 * rows into destruction tasks, once: rows already on an open task line are not due again.
 */
function dueParts(rules: Ruleset, p: Policy, opts: PlanOptions): SQL[] {
  const subject = subjectFilter(rules, p, opts.subject);
  if (p.action.kind === 'manual') return [sql`${eligible(p, opts.now)} AND NOT ${onOpenTaskLine(p)} AND ${subject}`];
  return sweepableParts(p, opts.now, keyType(rules, p)).map((w) => sql`${w} AND ${subject}`);
}

/** A manual policy's due register rows already on an open destruction task line. */
async function countTasked(db: Executor, rules: Ruleset, p: Policy, opts: PlanOptions): Promise<number> {
  return countWhere(db, p, sql`${eligible(p, opts.now)} AND ${onOpenTaskLine(p)} AND ${subjectFilter(rules, p, opts.subject)}`);
}

/** Eligible records split into held and due. Without active holds this is one count per part. */
export async function countDueAndHeld(ctx: EngineContext, rules: Ruleset, p: Policy, opts: PlanOptions): Promise<{ due: number; held: number }> {
  const parts = dueParts(rules, p, opts);
  const holds = await heldSubjects(ctx.db, p.id);
  if (holds.size === 0) return { due: await countParts(ctx.db, p, parts), held: 0 };
  const perSubject = await rows<{ s: string | null; n: string }>(ctx.db, sql`SELECT s, count(*)::text AS n FROM (${sql.join(
    parts.map((w) => sql`SELECT ${col(p.source.subject)}::text AS s FROM ${sourceTable(p)} t WHERE ${w}`), sql` UNION ALL `)}) x GROUP BY s`);
  let due = 0;
  let held = 0;
  for (const r of perSubject) {
    if (r.s !== null && holds.has(subjectRef(ctx.keys, r.s))) held += Number(r.n);
    else due += Number(r.n);
  }
  return { due, held };
}

export async function planPolicy(ctx: EngineContext, rules: Ruleset, p: Policy, opts: PlanOptions): Promise<PolicyCounts> {
  const [{ due, held }, deferred, restricted, objects] = await Promise.all([
    countDueAndHeld(ctx, rules, p, opts), countDeferred(ctx.db, rules, p, opts), countRestricted(ctx.db, rules, p, opts),
    countDueObjects(ctx, p, dueParts(rules, p, opts))]);
  const action = p.action.kind;
  return {
    id: p.id, action, due, held, deferred, restricted,
    destroyed: action === 'delete' ? due : 0,
    anonymised: action === 'anonymise' ? due : 0,
    failed: 0,
    ...(action === 'manual' ? { tasked: await countTasked(ctx.db, rules, p, opts) } : {}),
    floor: p.minimum?.kind ?? null,
    // Files in object storage a sweep now would delete with these records (`objects:`).
    ...(objects === undefined ? {} : { objects }),
    ...(opts.subject === undefined ? {} : { on_erasure: await previewErasure(ctx, rules, p, opts.subject, opts.now) }),
    ...(opts.subject === undefined && opts.wholePartitions !== false ? await partitionCounts(ctx, rules, p, opts.now, due) : {}),
  };
}

async function partitionCounts(ctx: EngineContext, rules: Ruleset, p: Policy, now: Date, due: number): Promise<Pick<PolicyCounts, 'partitions'>> {
  const whole = await planPartitions(ctx, rules, p, now);
  return whole ? { partitions: { whole: whole.partitions, whole_rows: whole.rows, batch_rows: due - whole.rows } } : {};
}

export async function plan(ctx: EngineContext, rules: Ruleset, opts: PlanOptions & { policyIds?: string[] }): Promise<PolicyCounts[]> {
  // The same check as hold, erase and purge, by the chosen policies: a misspelt id must not plan "nothing due".
  if (opts.subject !== undefined) canonicalSubject(rules, opts.subject, opts.policyIds);
  const chosen = rules.policies.filter((p) => !opts.policyIds || opts.policyIds.includes(p.id));
  const out: PolicyCounts[] = [];
  // One policy at a time: a plan must not crowd out the workers' connections.
  for (const p of chosen) out.push(await planPolicy(ctx, rules, p, opts));
  return out;
}
