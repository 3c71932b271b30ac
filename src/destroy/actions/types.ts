// What one kind of action (`action:` in a policy) is: how it is written in a policy file and
// resolved, what it needs of the catalog, and — for the kinds a purge carries out — how it
// changes a batch's records, what its evidence says and when a record still needs it. One
// module per kind, registered in ./index.ts.
import type { SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Ruleset } from '../../engine.ts';
import type { Policy } from '../../policy/types.ts';
import type { RawPolicy } from '../../policy/schema.ts';
import type { CatalogCheck } from '../../policy/catalog-check.ts';
import type { TableInfo } from '../../policy/catalog.ts';
import type { Problem } from '../../policy/triggers/types.ts';

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

export interface PurgeAction {
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

export interface ActionModule<A extends { kind: string } = { kind: string }> {
  readonly kind: A['kind'];
  /** How it is written in a policy file, for messages: `delete`, `{ anonymise: { column: strategy } }`. */
  readonly syntax: string;
  /** What it does, in a few words, for messages and the policies doc. */
  readonly summary: string;
  /** Its alternative in the `action:` union. */
  readonly schema: z.ZodType;
  /** Keys it adds at the top of a policy beside `action:` (a manual register's `register:`); only it may use them. */
  readonly policyKeys?: Record<string, z.ZodType>;
  /** The raw `action:` value is this kind. */
  matches(raw: unknown): boolean;
  /** The resolved action, or undefined after reporting why not. */
  resolve(raw: RawPolicy, problem: Problem): A | undefined;
  /** Its columns against the catalog. */
  check(p: Policy, a: A, c: CatalogCheck, source: TableInfo | undefined): void;
  /** How a purge batch carries it out; null for a kind people carry out (manual: destruction tasks). */
  readonly purge: PurgeAction | null;
}
