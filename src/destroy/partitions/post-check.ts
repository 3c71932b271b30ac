// The post-destruction check of a dropped partition (src/destroy/post-check.ts for batches):
// once the drop committed, rows of the parent in the dropped range are looked for — they can
// only be in a default partition or a table attached again — and those whose record refs the
// partition's evidence names are reported as back, the same way a batch's survivors are.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../../engine.ts';
import { rows } from '../../db/sql.ts';
import { recordRef, subjectRef } from '../../crypto/keys.ts';
import { qualifiedName, type Policy } from '../../policy/types.ts';
import { postDestructionCheck, type PostCheckResult } from '../post-check.ts';
import { col, sourceTable } from '../predicates.ts';
import type { RangePartition } from './catalog.ts';

/** Rows in the dropped range looked at: late rows of a default partition are new records, not survivors. */
const LOOKED_AT = 100_000;

export interface DroppedRange {
  batchId: string;
  runId: string;
  trigger: string;
  partition: RangePartition;
}

export async function checkDroppedPartition(ctx: EngineContext, rules: Ruleset, p: Policy, column: string, d: DroppedRange): Promise<PostCheckResult> {
  const type = sql.raw(rules.types.of(p.source, column));
  const clock = col(column);
  const from = d.partition.from === null ? sql`true` : sql`${clock} >= ${d.partition.from}::${type}`;
  const to = d.partition.to === null ? sql`true` : sql`${clock} < ${d.partition.to}::${type}`;
  const back = await rows<{ k: string; s: string | null }>(ctx.db, sql`SELECT ${col(p.source.key)}::text AS k, ${col(p.source.subject)}::text AS s
    FROM ${sourceTable(p)} t WHERE ${from} AND ${to} LIMIT ${LOOKED_AT}`);
  if (back.length === 0) return { checked: 0, survivors: [] };
  const table = qualifiedName(p.source);
  const byRef = new Map(back.map((r) => [recordRef(ctx.keys, table, r.k), r]));
  const named = await rows<{ r: string }>(ctx.db, sql`SELECT record_ref AS r FROM lethe.evidence
    WHERE batch_id = ${d.batchId} AND record_ref = ANY(${sql.param([...byRef.keys()])}::text[])`);
  const again = named.map((x) => byRef.get(x.r)!);
  return postDestructionCheck(ctx, rules, {
    batchId: d.batchId, runId: d.runId, trigger: d.trigger, policy: p, keys: again.map((r) => r.k),
    subjectRefs: new Map(again.map((r) => [r.k, r.s === null ? null : subjectRef(ctx.keys, r.s)])), children: [],
  });
}
