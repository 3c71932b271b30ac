// What every engine function is handed: no globals, an injectable clock.
import type { Db } from './db/connect.ts';
import type { Keys } from './crypto/keys.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import type { Policy } from './policy/types.ts';
import type { ColumnTypes } from './destroy/columns.ts';
import { makeStoreRegistry, type StoreRegistry } from './objects/stores.ts';

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
  /** The object stores the policies' `objects:` name (checked by buildRuleset). */
  readonly stores: StoreRegistry;
  get(policyId: string): Policy | undefined;
}

export function makeRuleset(policies: readonly Policy[], types: ColumnTypes, stores: StoreRegistry = makeStoreRegistry('(no store registry)', [])): Ruleset {
  const byId = new Map(policies.map((p) => [p.id, p]));
  return { policies, types, stores, get: (id) => byId.get(id) };
}
