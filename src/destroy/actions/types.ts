// What one kind of action (`action:` in a policy) is to the purge: how it changes a locked
// record, what its evidence says, and when a record still needs it. One module per kind,
// registered in ./index.ts.
import type { SQL } from 'drizzle-orm';
import type { Ruleset } from '../../engine.ts';
import type { Policy } from '../../policy/types.ts';

export interface SourceStatement {
  /**
   * The statement that destroys the source records listed in CTE `v` (`lethe_k` the key in its
   * own type, `lethe_s` the subject as text, `h0…` the pseudonyms of `readsValues`), returning
   * what the caller asks for (`returning`) for each record it changed.
   */
  sql: SQL;
}

export interface ActionModule {
  /** The evidence action of a source record it destroyed. */
  readonly evidenceAction: 'delete' | 'anonymise';
  /** Records of this policy still hold something the action would change: re-running is a no-op. */
  pending(p: Policy): SQL;
  /** Columns whose current values must be read before the action (keyed pseudonyms, computed here). */
  readsValues(p: Policy): string[];
  /** The statement that carries the action out on CTE `v`, returning `returning` for each record changed. */
  source(p: Policy, rules: Ruleset, returning: SQL): SourceStatement;
  /** Evidence `fields` of a source record: the strategies applied, never a value. */
  fields(p: Policy): Record<string, string> | null;
  /** After commit: the record is still there in a form the action should have removed. */
  survives(p: Policy): SQL;
}
