// Every store a policy's `objects:` names must be in the store registry: a sweep with a policy
// pointing at a store lethe cannot reach would delete rows and orphan their files.
import type { PolicyProblem } from '../errors.ts';
import { qualifiedName, type Policy, type TableRef } from '../policy/types.ts';
import type { TableInfo } from '../policy/catalog.ts';
import { shown } from '../policy/catalog-rules.ts';
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

/**
 * Before a file is deleted, each pointer column of its store is asked whether a row still points
 * to it (shared.ts): without an index on lethe.object_key(column, bucket) that reads the whole
 * table once per file. A warning, as for a missing clock index: slow, not wrong.
 */
export function pointerIndexWarnings(policies: readonly Policy[], stores: StoreRegistry, tables: ReadonlyMap<string, TableInfo>): PolicyProblem[] {
  const warnings: PolicyProblem[] = [];
  for (const p of policies) {
    const lists: [string, TableRef, readonly { column: string; store: string }[]][] = [['objects', p.source, p.objects],
      ...p.children.map((c, i): [string, TableRef, readonly { column: string; store: string }[]] => [`children.${i}.objects`, c, c.objects])];
    for (const [path, ref, list] of lists) {
      const t = tables.get(qualifiedName(ref));
      list.forEach((o, i) => {
        const store = stores.get(o.store);
        if (!t || !store || !t.columns.has(o.column)) return;
        const bucket = `'${store.bucket.replace(/'/g, "''")}'`;
        if (t.indexes.some((x) => x.expressions?.includes('object_key(') && x.expressions.includes(o.column) && x.expressions.includes(bucket))) return;
        const at = p.positions[`${path}.${i}.column`] ?? p.positions[path] ?? { file: p.file, line: 1, col: 1 };
        const column = /^[a-z_][a-z0-9_]*$/.test(o.column) ? o.column : `"${o.column.replace(/"/g, '""')}"`;
        warnings.push({ ...at, message: `${`${path}.${i}.column`.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: no index on lethe.object_key(${o.column}, ${bucket}), so before each file of store ${store.id} is deleted lethe reads all of ${shown(t)} for rows still pointing to it; create one: CREATE INDEX ON ${shown(t)} (lethe.object_key(${column}, ${bucket}))` });
      });
    }
  }
  return warnings;
}
