// After a purge batch commits, its destroyed keys are looked up again: a trigger, a replication
// stream or an application writing back from a cache can bring a record back, and evidence that
// says "deleted" would then be false. A survivor is reported loudly (error log, a
// `verify_failed` evidence record, the `lethe_verify_failed` metric), never silently re-deleted:
// what re-creates it must be found, or the next sweep just races it again.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { jsonList, qualified, rows } from '../db/sql.ts';
import { recordRef } from '../crypto/keys.ts';
import { describeError } from '../log.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import { appendEvidence, type EvidenceInput } from '../evidence/append.ts';
import { purgeActionOf } from './actions/index.ts';
import { purgeBatch, type PurgeOutcome } from './purge.ts';
import { col, sourceTable } from './predicates.ts';
import { newBatchId } from '../evidence/batch-id.ts';

export const VERIFY_FAILED = 'verify_failed';
const CHECK_ACTOR = 'lethe:post-check';
/** How many pseudonymous record refs one log line carries; the evidence has them all. */
const LOGGED_REFS = 20;

/**
 * What one committed batch destroyed. Held in memory between the commit and the check only:
 * raw business keys, so never to Redis, a log or a job's return value.
 */
export interface Destroyed {
  readonly batchId: string;
  readonly runId: string;
  readonly trigger: string;
  readonly policy: Policy;
  /** Source keys the batch deleted or anonymised. */
  readonly keys: readonly string[];
  readonly subjectRefs: ReadonlyMap<string, string | null>;
  /** Per declared child table, the record refs of the rows deleted (with their subject refs). */
  readonly children: readonly { readonly table: string; readonly refs: Map<string, string | null> }[];
}

export interface Survivors {
  /** Schema-qualified table. */
  table: string;
  count: number;
}

export interface PostCheckResult {
  /** Source records and child rows looked up again. */
  checked: number;
  survivors: Survivors[];
}

/** purgeBatch, then the post-destruction check of what it committed. */
export async function purgeAndCheck(ctx: EngineContext, rules: Ruleset, batchId: string): Promise<PurgeOutcome> {
  let destroyed: Destroyed | undefined;
  const outcome = await purgeBatch(ctx, rules, batchId, (d) => (destroyed = d));
  if (destroyed) {
    try {
      await postDestructionCheck(ctx, rules, destroyed);
    } catch (e) {
      // The batch committed: failing the job would retry a closed batch and change nothing.
      ctx.log.error({ policy: destroyed.policy.id, batchId, error: describeError(e) }, 'post-destruction check could not run');
    }
  }
  return outcome;
}

export async function postDestructionCheck(ctx: EngineContext, rules: Ruleset, d: Destroyed): Promise<PostCheckResult> {
  const p = d.policy;
  if (d.keys.length === 0) return { checked: 0, survivors: [] };
  const source = qualifiedName(p.source);
  const keyType = rules.types.of(p.source, p.source.key);
  // For an anonymised record, surviving means still holding an original value.
  const still = purgeActionOf(p).survives(p);
  const back = await rows<{ k: string }>(ctx.db, sql`SELECT ${col(p.source.key)}::text AS k FROM ${sourceTable(p)} t
    WHERE ${col(p.source.key)} = ANY(${jsonList(d.keys, keyType)}) AND ${still}`);
  const found: { table: string; ref: string; subjectRef: string | null }[] = back.map((r) => ({
    table: source, ref: recordRef(ctx.keys, source, r.k), subjectRef: d.subjectRefs.get(r.k) ?? null,
  }));
  let checked = d.keys.length;
  for (const [j, child] of p.children.entries()) {
    const name = qualifiedName(child);
    const gone = d.children[j]?.refs ?? new Map<string, string | null>();
    if (gone.size === 0) continue;
    checked += gone.size;
    // Child keys are known to the evidence only as refs: look the rows up by their parents (the
    // foreign key's index) and match refs, so a new row for the same parent is no survivor.
    const fkType = rules.types.of(child, child.foreignKey);
    const left = await rows<{ k: string }>(ctx.db, sql`SELECT c.${sql.identifier(child.key)}::text AS k
      FROM ${qualified(child.schema, child.table)} c
      WHERE c.${sql.identifier(child.foreignKey)} = ANY(${jsonList(d.keys, fkType)})`);
    for (const r of left) {
      const ref = recordRef(ctx.keys, name, r.k);
      if (gone.has(ref)) found.push({ table: name, ref, subjectRef: gone.get(ref) ?? null });
    }
  }
  if (found.length === 0) return { checked, survivors: [] };
  const perTable = new Map<string, number>();
  for (const f of found) perTable.set(f.table, (perTable.get(f.table) ?? 0) + 1);
  const survivors = [...perTable].map(([table, count]) => ({ table, count }));
  for (const s of survivors) {
    ctx.log.error({
      policy: p.id, batchId: d.batchId, table: s.table, survivors: s.count,
      records: found.filter((f) => f.table === s.table).slice(0, LOGGED_REFS).map((f) => f.ref),
    }, 'post-destruction check: records are back after their destruction committed (a trigger, replication or an application re-inserting them?)');
  }
  const now = ctx.clock.now();
  const expected = purgeActionOf(p).evidenceAction === 'anonymise' ? 'anonymised' : 'deleted';
  const evidence: EvidenceInput[] = found.map((f) => ({
    runId: d.runId, policyId: p.id, policyVersion: p.version, category: p.category, classification: p.classification,
    trigger: d.trigger, action: VERIFY_FAILED, table: f.table, recordRef: f.ref, subjectRef: f.subjectRef,
    // The batch whose destruction did not hold, and what it should have left: no values.
    fields: { check: 'post-destruction', expected: f.table === source ? expected : 'deleted', batch: d.batchId.toLowerCase() },
    partner: null, actor: CHECK_ACTOR, occurredAt: now,
  }));
  // Its own evidence batch, sealed into the chain like any other.
  await ctx.db.transaction((tx) => appendEvidence(tx, ctx.keys, newBatchId(), evidence, now));
  return { checked, survivors };
}
