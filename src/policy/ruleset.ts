import type { Executor } from '../db/connect.ts';
import { PolicyError, type PolicyProblem } from '../errors.ts';
import { makeRuleset, type Ruleset } from '../engine.ts';
import { columnTypesFrom } from '../destroy/columns.ts';
import { checkCatalog, columnTypeMap } from './catalog.ts';
import { pointerTables, type Policy } from './types.ts';
import { checkPolicyStores, pointerIndexWarnings } from '../objects/check.ts';
import { makeStoreRegistry, type StoreRegistry } from '../objects/stores.ts';

/**
 * Checks loaded policies against the database catalog and returns them ready for the engine.
 * Throws PolicyError (exit 2) on any problem, before a single statement is built from a policy.
 */
export async function buildRuleset(
  db: Executor, policies: Policy[], stores: StoreRegistry = makeStoreRegistry('./stores.yaml', []),
): Promise<{ ruleset: Ruleset; warnings: PolicyProblem[] }> {
  const report = await checkCatalog(db, policies);
  const problems = [...report.problems, ...checkPolicyStores(policies, stores)];
  if (problems.length > 0) throw new PolicyError(problems);
  const types = columnTypesFrom(columnTypeMap(report.tables), columnTypeMap(report.tables, 'baseFormat'));
  // Only the stores the policies name: their credentials are what a sweep, worker or serve needs.
  const named = new Set(policies.flatMap((p) => pointerTables(p).flatMap((t) => t.objects)).map((o) => o.store));
  const used = makeStoreRegistry(stores.file, stores.stores.filter((s) => named.has(s.id)), stores.credentials);
  return { ruleset: makeRuleset(policies, types, used), warnings: [...report.warnings, ...pointerIndexWarnings(policies, stores, report.tables)] };
}
