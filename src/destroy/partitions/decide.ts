// Which partitions go whole. First by their bounds: a partition's whole range must be past
// `retain` at the scan's instant (and past the floor, when the floor runs on the same column).
// Then by its rows, because bounds know nothing of `where`, `kept_while`, a floor on another
// column, erasure restrictions or legal holds: one row that any of these keeps, and the
// partition goes by row batches instead — the row path keeps exactly that row.
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/connect.ts';
import type { Ruleset } from '../../engine.ts';
import { one, rows } from '../../db/sql.ts';
import { subtractDuration } from '../../duration.ts';
import type { Policy } from '../../policy/types.ts';
import { col, eligible, isRestricted } from '../predicates.ts';
import type { SubjectRefs } from '../subject-refs.ts';
import { partitionTable, type RangePartition } from './catalog.ts';

/**
 * The partitions whose every possible row is past `retain` at `now`: the upper bound (exclusive)
 * at or before the cutoff, compared in the clock's type exactly as the row predicate compares
 * (predicates.ts `clockPassed`). A floor on the same column is judged the same way; a floor on
 * another column is left to the rows.
 */
export async function pastByBounds(db: Executor, rules: Ruleset, p: Policy, column: string, parts: RangePartition[], now: Date): Promise<RangePartition[]> {
  const closed = parts.filter((x) => x.to !== null);
  if (closed.length === 0) return [];
  const type = sql.raw(rules.types.of(p.source, column));
  const floor = p.minimum?.from === column ? sql` AND u.v::${type} <= ${subtractDuration(now, p.minimum.period)}` : sql``;
  const past = await rows<{ i: number }>(db, sql`SELECT (u.i - 1)::int AS i
    FROM unnest(${sql.param(closed.map((x) => x.to))}::text[]) WITH ORDINALITY AS u(v, i)
    WHERE u.v::${type} <= ${subtractDuration(now, p.retain)} ${floor}
    ORDER BY u.i`);
  return past.map((r) => closed[r.i]!);
}

export type Verdict =
  | { whole: true; rows: number }
  | { whole: false; rows: number; reason: KeptReason };

/**
 * Why a partition went by rows: `kept` — some row is not due (excluded by `where`, a floor
 * still running, a `kept_while` dependent); `restricted` — an erasure request restricted a
 * record in it; `held` — a legal hold covers a subject in it.
 */
export type KeptReason = 'kept' | 'restricted' | 'held';

/**
 * Judges a partition by its rows at `now`. `holds` are the subject refs under an active hold for
 * the policy; `refs` caches the subjects' refs for the evidence that may follow.
 */
export async function judgePartition(
  db: Executor, rules: Ruleset, p: Policy, part: RangePartition, now: Date, holds: ReadonlySet<string>, refs: SubjectRefs,
): Promise<Verdict> {
  const keyType = rules.types.of(p.source, p.source.key);
  const counts = await one<{ n: string; kept: string; restricted: string }>(db, sql`SELECT count(*)::text AS n,
      count(*) FILTER (WHERE (${eligible(p, now)}) IS NOT TRUE)::text AS kept,
      count(*) FILTER (WHERE ${isRestricted(p, keyType)})::text AS restricted
    FROM ${partitionTable(part)} t`);
  const n = Number(counts!.n);
  if (Number(counts!.kept) > 0) return { whole: false, rows: n, reason: 'kept' };
  if (Number(counts!.restricted) > 0) return { whole: false, rows: n, reason: 'restricted' };
  if (holds.size > 0 && n > 0) {
    // Holds name subjects by their refs, which only Node can compute (the key stays out of SQL).
    const subjects = await rows<{ s: string }>(db, sql`SELECT DISTINCT ${col(p.source.subject)}::text AS s
      FROM ${partitionTable(part)} t WHERE ${col(p.source.subject)} IS NOT NULL`);
    if (subjects.some((r) => holds.has(refs.of(r.s)!))) return { whole: false, rows: n, reason: 'held' };
  }
  return { whole: true, rows: n };
}
