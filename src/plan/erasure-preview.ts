// What an erasure request for one subject would do now, per policy, without doing it: the
// records it would destroy, those a law's floor would keep restricted (PIPL art. 47: only a
// period set by a law or administrative regulation defers it; policy/floors.ts), those a hold
// keeps. Counted with the predicates the erasure's own scan and purge use.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { one } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import type { Policy } from '../policy/types.ts';
import { floorDefersErasure } from '../policy/floors.ts';
import { actionPending, floorPassed, sourceTable, subjectIs, whereFilter } from '../destroy/predicates.ts';
import { heldSubjects } from '../holds/active.ts';

export interface ErasurePreview {
  /** Destroyed (or anonymised) at once: no floor, a floor past, or a floor no law sets. */
  destroy: number;
  /** Kept, restricted, until a law's floor ends. */
  defer: number;
  /** Kept by a legal hold. */
  held: number;
}

export async function previewErasure(ctx: EngineContext, rules: Ruleset, p: Policy, subject: string, now: Date): Promise<ErasurePreview> {
  // Paper and media go into destruction tasks for people, never straight away.
  if (p.action.kind === 'manual') return { destroy: 0, defer: 0, held: 0 };
  const who = subjectIs(p, subject, rules.types.baseOf(p.source, p.source.subject));
  const r = (await one<{ open: string; kept: string }>(ctx.db, sql`SELECT count(*)::text AS open,
      count(*) FILTER (WHERE (${floorPassed(p, now)}) IS NOT TRUE)::text AS kept
    FROM ${sourceTable(p)} t WHERE ${whereFilter(p)} AND ${actionPending(p)} AND ${who}`))!;
  const all = Number(r.open);
  if ((await heldSubjects(ctx.db, p.id)).has(subjectRef(ctx.keys, subject))) return { destroy: 0, defer: 0, held: all };
  const defer = floorDefersErasure(p) ? Number(r.kept) : 0;
  return { destroy: all - defer, defer, held: 0 };
}
