import { UsageError } from '../../errors.ts';
import type { Ruleset } from '../../engine.ts';
import type { PolicyCounts } from '../../plan/plan.ts';
import { table } from '../output.ts';
import type { Parsed } from '../args.ts';
import type { Config } from '../../config.ts';

export const POLICY_FLAGS = { policies: { type: 'string' }, policy: { type: 'string' }, json: { type: 'boolean' } } as const;

export function policiesDir(flags: Parsed['flags'], cfg: Config): string {
  return typeof flags.policies === 'string' ? flags.policies : cfg.policiesDir;
}

/** `--policy ID`, checked against what is loaded. */
export function selectPolicies(command: string, rules: Ruleset, id: string | undefined): string[] | undefined {
  if (id === undefined) return undefined;
  if (!rules.get(id)) {
    throw new UsageError(`lethe ${command}: --policy "${id}" is not a loaded policy; loaded: ${rules.policies.map((p) => p.id).join(', ')}`);
  }
  return [id];
}

export function countsTable(rowsIn: PolicyCounts[]): string {
  const sum = (k: keyof PolicyCounts) => rowsIn.reduce((a, r) => a + (r[k] as number), 0);
  return table(
    ['policy', 'action', 'due', 'held', 'deferred', 'destroyed', 'anonymised', 'failed'],
    [
      ...rowsIn.map((r) => [r.id, r.action, r.due, r.held, r.deferred, r.destroyed, r.anonymised, r.failed]),
      ['total', '', sum('due'), sum('held'), sum('deferred'), sum('destroyed'), sum('anonymised'), sum('failed')],
    ],
  );
}
