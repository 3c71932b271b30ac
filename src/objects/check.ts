// What the policies' `objects:` must be, checked without the stores' servers: every store named
// is in the registry (a sweep pointing at a store lethe cannot reach would delete rows and
// orphan their files), the policies agree on which columns point to files, and — given the
// catalog — each pointer column has the index that makes the shared-file question a lookup.
import type { PolicyProblem, SourcePosition } from '../errors.ts';
import { pointerTables, qualifiedName, type Policy } from '../policy/types.ts';
import type { TableInfo } from '../policy/catalog.ts';
import { shown, shownPath } from '../policy/catalog-rules.ts';
import type { StoreRegistry } from './stores.ts';

const positionOf = (p: Policy, ...paths: string[]): SourcePosition =>
  paths.map((x) => p.positions[x]).find((x) => x !== undefined) ?? { file: p.file, line: 1, col: 1 };

export function checkPolicyStores(policies: readonly Policy[], stores: StoreRegistry): PolicyProblem[] {
  const problems: PolicyProblem[] = [...checkObjectsAgree(policies)];
  const known = stores.stores.map((s) => s.id).join(', ') || 'none';
  for (const p of policies) {
    for (const { objects, objectsPath } of pointerTables(p)) {
      objects.forEach((o, i) => {
        if (stores.get(o.store)) return;
        problems.push({ ...positionOf(p, `${objectsPath}.${i}.store`, objectsPath), message: `store ${o.store} is not in the store registry ${stores.file} (LETHE_STORES; stores: ${known})` });
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
    for (const { table, objects, objectsPath } of pointerTables(p)) {
      const t = tables.get(qualifiedName(table));
      objects.forEach((o, i) => {
        const store = stores.get(o.store);
        if (!t || !store || !t.columns.has(o.column)) return;
        const bucket = `'${store.bucket.replace(/'/g, "''")}'`;
        if (t.indexes.some((x) => x.expressions?.includes('object_key(') && x.expressions.includes(o.column) && x.expressions.includes(bucket))) return;
        const path = `${objectsPath}.${i}.column`;
        const column = /^[a-z_][a-z0-9_]*$/.test(o.column) ? o.column : `"${o.column.replace(/"/g, '""')}"`;
        warnings.push({ ...positionOf(p, path, objectsPath), message: `${shownPath(path)}: no index on lethe.object_key(${o.column}, ${bucket}), so before each file of store ${store.id} is deleted lethe reads all of ${shown(t)} for rows still pointing to it; create one: CREATE INDEX ON ${shown(t)} (lethe.object_key(${column}, ${bucket}))` });
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
  /** Per table, per pointer column: the store and the policy that named it first. */
  const named = new Map<string, Map<string, { store: string; policy: string }>>();
  for (const p of policies) {
    for (const { table, objects } of pointerTables(p)) {
      const columns = named.get(qualifiedName(table)) ?? new Map<string, { store: string; policy: string }>();
      named.set(qualifiedName(table), columns);
      for (const o of objects) if (!columns.has(o.column)) columns.set(o.column, { store: o.store, policy: p.id });
    }
  }
  const problems: PolicyProblem[] = [];
  for (const p of policies) {
    // Children are deleted by every action but manual; the source by `delete` only.
    for (const { table, objects, tablePath, child } of pointerTables(p)) {
      if (child ? p.action.kind === 'manual' : p.action.kind !== 'delete') continue;
      const name = qualifiedName(table);
      const at = positionOf(p, tablePath);
      for (const [column, first] of named.get(name) ?? []) {
        const own = objects.find((o) => o.column === column);
        if (!own) {
          problems.push({ ...at, message: `${shownPath(tablePath)}: policy ${first.policy} names ${name}.${column} as pointing to files in store ${first.store}, but this policy deletes rows of ${name} without it: their files would stay in storage with nothing pointing to them; add objects: [{ column: ${column}, store: ${first.store} }]` });
        } else if (own.store !== first.store) {
          problems.push({ ...at, message: `${shownPath(tablePath)}: ${name}.${column} points to files in store ${own.store} here and in store ${first.store} in policy ${first.policy}; one column, one store` });
        }
      }
    }
  }
  return problems;
}
