// Every store a policy's `objects:` names must be in the store registry: a sweep with a policy
// pointing at a store lethe cannot reach would delete rows and orphan their files.
import type { PolicyProblem } from '../errors.ts';
import { qualifiedName, type Policy, type TableRef } from '../policy/types.ts';
import type { TableInfo } from '../policy/catalog.ts';
import { shown } from '../policy/catalog-rules.ts';
import type { StoreRegistry } from './stores.ts';

export function checkPolicyStores(policies: readonly Policy[], stores: StoreRegistry): PolicyProblem[] {
  const problems: PolicyProblem[] = [...checkObjectsAgree(policies)];
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

/**
 * A column one policy names as pointing to files is a pointer column for every policy that
 * deletes rows of its table: a policy deleting those rows without listing it would leave each
 * row's file in storage with nothing left pointing to it — lost to every later sweep. So it is
 * a problem (exit 2), as is one column named with two stores.
 */
export function checkObjectsAgree(policies: readonly Policy[]): PolicyProblem[] {
  type Named = { store: string; policy: string };
  const named = new Map<string, Map<string, Named>>();
  const deleting: { p: Policy; table: TableRef; path: string; objects: readonly { column: string; store: string }[] }[] = [];
  for (const p of policies) {
    const tables: [TableRef, string, readonly { column: string; store: string }[], boolean][] = [
      [p.source, 'source.table', p.objects, p.action.kind === 'delete'],
      ...p.children.map((c, i): [TableRef, string, readonly { column: string; store: string }[], boolean] => [c, `children.${i}.table`, c.objects, p.action.kind !== 'manual']),
    ];
    for (const [table, path, objects, deletes] of tables) {
      const columns = named.get(qualifiedName(table)) ?? new Map<string, Named>();
      named.set(qualifiedName(table), columns);
      for (const o of objects) if (!columns.has(o.column)) columns.set(o.column, { store: o.store, policy: p.id });
      if (deletes) deleting.push({ p, table, path, objects });
    }
  }
  const problems: PolicyProblem[] = [];
  for (const d of deleting) {
    const at = d.p.positions[d.path] ?? { file: d.p.file, line: 1, col: 1 };
    for (const [column, first] of named.get(qualifiedName(d.table)) ?? []) {
      const own = d.objects.find((o) => o.column === column);
      if (!own) {
        problems.push({ ...at, message: `${d.path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: policy ${first.policy} names ${qualifiedName(d.table)}.${column} as pointing to files in store ${first.store}, but this policy deletes rows of ${qualifiedName(d.table)} without it: their files would stay in storage with nothing pointing to them; add objects: [{ column: ${column}, store: ${first.store} }]` });
      } else if (own.store !== first.store) {
        problems.push({ ...at, message: `${d.path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: ${qualifiedName(d.table)}.${column} points to files in store ${own.store} here and in store ${first.store} in policy ${first.policy}; one column, one store` });
      }
    }
  }
  return problems;
}
