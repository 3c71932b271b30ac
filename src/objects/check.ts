// Every store a policy's `objects:` names must be in the store registry: a sweep with a policy
// pointing at a store lethe cannot reach would delete rows and orphan their files.
import type { PolicyProblem } from '../errors.ts';
import type { Policy } from '../policy/types.ts';
import type { StoreRegistry } from './stores.ts';

export function checkPolicyStores(policies: readonly Policy[], stores: StoreRegistry): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const known = stores.stores.map((s) => s.id).join(', ') || 'none';
  for (const p of policies) {
    const lists: [string, readonly { store: string }[]][] = [['objects', p.objects], ...p.children.map((c, i): [string, readonly { store: string }[]] => [`children.${i}.objects`, c.objects])];
    for (const [path, list] of lists) {
      list.forEach((o, i) => {
        if (stores.get(o.store)) return;
        const at = p.positions[`${path}.${i}.store`] ?? p.positions[path] ?? { file: p.file, line: 1, col: 1 };
        problems.push({ ...at, message: `store ${o.store} is not in the store registry ${stores.file} (LETHE_STORES; stores: ${known})` });
      });
    }
  }
  return problems;
}
