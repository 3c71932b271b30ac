// What one kind of trigger (`trigger.kind` in a policy) is: its keys in the file, how it resolves,
// what it needs of the catalog, and the SQL that says a record's clock has run out. One module
// per kind, registered in ./index.ts.
import type { SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Policy, TableRef } from '../types.ts';
import type { CatalogCheck } from '../catalog-check.ts';

/** Reports a problem at a dotted path of the policy file, at the key or (default) at its value. */
export type Problem = (where: (string | number)[], message: string, at?: 'key' | 'value') => void;

/** `trigger:` as written, after the shape check: `kind` and whichever kind's keys are present. */
export type RawTrigger = { kind: string } & Record<string, unknown>;

export interface TriggerModule<T extends { kind: string }> {
  readonly kind: T['kind'];
  /** One line for `lethe policies doc` and the README: what starts the clock. */
  readonly summary: string;
  /** The keys this kind reads beside `kind`, as zod shapes (each optional in the file's shape). */
  readonly keys: Record<string, z.ZodType>;
  /** What to say of another kind's key written here, where the general "only for kind …" says too little. */
  readonly foreign?: Record<string, string>;
  /**
   * The resolved trigger. A key of this kind that is missing, or a key of another kind that is
   * present, is reported (`problem`); undefined when the trigger cannot be built.
   */
  resolve(raw: RawTrigger, problem: Problem): T | undefined;
  /** Tables it reads besides the source (loaded with the catalog, checked as the lender's own). */
  tables(t: T): TableRef[];
  /** Its columns against the catalog, and the index its scan needs. */
  check(p: Policy, t: T, c: CatalogCheck, source: ReturnType<CatalogCheck['table']>): void;
  /** The clock has run out on the source row `t`: its start is at or before `cutoff` (now − retain). */
  passed(p: Policy, t: T, cutoff: Date): SQL;
  /** The source column whose value starts the clock, when there is one (index advice, partitions, forecasts). */
  clockColumn(t: T): string | null;
  /** What starts the clock, for people: `expiry(decided_at)`, `consent withdrawn (marketing)`. */
  describe(t: T): string;
}
