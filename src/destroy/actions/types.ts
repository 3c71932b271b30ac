// What one kind of action (`action:` in a policy) is to the purge: how it changes a batch's
// records, what its evidence says, and when a record still needs it. One module per kind,
// registered in ./index.ts.
import type { SQL } from 'drizzle-orm';
import type { Ruleset } from '../../engine.ts';
import type { Policy } from '../../policy/types.ts';

/**
 * Which records a batch's statement changes: the due ones among the batch's keys (found, and
 * row-locked, by the statement itself), or rows the purge already locked and chose (`rows`: a
 * SELECT of `lethe_k` the key in its own type, `lethe_s` the subject as text, `h0…` keyed
 * pseudonyms the action writes, `lethe_object_0…` the rows' object pointers).
 */
export type Victims = { kind: 'due'; keys: SQL; due: SQL } | { kind: 'chosen'; rows: SQL };

/** The source step of the statement: CTEs it needs first, and the one named `d` itself. */
export interface SourceStatement {
  /** `name AS (…)` CTEs placed before `d` (none: empty). */
  before: SQL[];
  /** The body of CTE `d`: changes the records, RETURNING `returning` for each. */
  d: SQL;
}

export interface ActionModule {
  /** The evidence action of a source record it destroyed. */
  readonly evidenceAction: 'delete' | 'anonymise';
  /** Records of this policy still hold something the action would change: re-running is a no-op. */
  pending(p: Policy): SQL;
  /** Columns whose current values must be read before the action (keyed pseudonyms, computed here). */
  readsValues(p: Policy): string[];
  /**
   * The statement that carries the action out on `victims`, returning for each record changed
   * `returning(alias)`: alias `t` is the source row as the statement left it, `v` the victim row.
   */
  source(p: Policy, rules: Ruleset, victims: Victims, returning: (victim: 't' | 'v') => SQL): SourceStatement;
  /** Evidence `fields` of a source record: the strategies applied, never a value. */
  fields(p: Policy): Record<string, string> | null;
  /** After commit: the record is still there in a form the action should have removed. */
  survives(p: Policy): SQL;
}
