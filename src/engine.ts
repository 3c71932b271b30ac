// What every engine function is handed: no globals, an injectable clock.
import type { Db } from './db/connect.ts';
import type { Keys } from './crypto/keys.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import type { Policy } from './policy/types.ts';
import type { ColumnTypes } from './destroy/columns.ts';

export interface EngineContext {
  readonly db: Db;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The loaded policies, checked against the catalog, with the column types they need. */
export interface Ruleset {
  readonly policies: readonly Policy[];
  readonly types: ColumnTypes;
  get(policyId: string): Policy | undefined;
}

export function makeRuleset(policies: readonly Policy[], types: ColumnTypes): Ruleset {
  const byId = new Map(policies.map((p) => [p.id, p]));
  return { policies, types, get: (id) => byId.get(id) };
}
