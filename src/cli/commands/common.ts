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

/**
 * The per-policy counts as a table, with every count the JSON has. A plan's columns say what a
 * sweep now *would* do; a sweep's what it did. `tasked`, for paper and media policies: in a
 * plan the rows already in open destruction tasks, in a sweep the rows it put into tasks.
 */
export function countsTable(rowsIn: PolicyCounts[], kind: 'plan' | 'sweep'): string {
  const sum = (k: keyof PolicyCounts) => rowsIn.reduce((a, r) => a + ((r[k] as number | undefined) ?? 0), 0);
  const manual = rowsIn.some((r) => r.action === 'manual');
  const plan = kind === 'plan';
  const cols: [string, keyof PolicyCounts][] = [
    ['due', 'due'], ['held', 'held'], ['deferred', 'deferred'], ['restricted', 'restricted'],
    ...(manual ? [[plan ? 'in tasks' : 'put in tasks', 'tasked'] as [string, keyof PolicyCounts]] : []),
    [plan ? 'would destroy' : 'destroyed', 'destroyed'], [plan ? 'would anonymise' : 'anonymised', 'anonymised'],
    ...(plan ? [] : [['failed', 'failed'] as [string, keyof PolicyCounts]]),
  ];
  return table(
    ['policy', 'action', ...cols.map(([h]) => h)],
    [
      ...rowsIn.map((r) => [r.id, r.action, ...cols.map(([, k]) => (r[k] as number | undefined) ?? (k === 'tasked' ? '' : 0))]),
      ['total', '', ...cols.map(([, k]) => sum(k))],
    ],
  );
}
