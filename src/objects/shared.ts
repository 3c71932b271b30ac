// A file two records point to — the same ID scan behind two loan applications, say — must
// outlive the first record's destruction while the second is kept (not due yet, held, floored).
// Before a file is deleted, lethe asks every pointer column of the store's policies whether a
// row still points to it, however the pointer is spelled (lethe.object_key, drizzle/0013). The
// question is asked at delivery, after the destroying transaction committed: of two records
// destroyed at once by two transactions, the deletion delivered last sees both gone.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one, qualified } from '../db/sql.ts';
import { pointerTables, qualifiedName, type Policy, type TableRef } from '../policy/types.ts';
import type { ObjectLocation } from './pointers.ts';

export interface PointerColumn {
  table: TableRef;
  column: string;
}

/** Per store, every column the policies name as pointing into it (sources and children), once each. */
export function pointerColumnsByStore(policies: readonly Policy[]): Map<string, PointerColumn[]> {
  const out = new Map<string, PointerColumn[]>();
  const seen = new Set<string>();
  const add = (table: TableRef, column: string, store: string) => {
    const id = `${store}\u0000${qualifiedName(table)}\u0000${column}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.set(store, [...(out.get(store) ?? []), { table, column }]);
  };
  for (const p of policies) for (const { table, objects } of pointerTables(p)) for (const o of objects) add(table, o.column, o.store);
  return out;
}

/** The columns (`schema.table.column`) in which some row still points to the file; empty: none does. */
export async function stillPointedFrom(db: Executor, columns: readonly PointerColumn[], loc: ObjectLocation): Promise<string[]> {
  const found: string[] = [];
  for (const c of columns) {
    const r = await one<{ found: boolean }>(db, sql`SELECT EXISTS (SELECT 1 FROM ${qualified(c.table.schema, c.table.table)} t
      WHERE lethe.object_key(t.${sql.identifier(c.column)}::text, ${loc.bucket}::text) = ${loc.key}) AS found`);
    if (r?.found) found.push(`${qualifiedName(c.table)}.${c.column}`);
  }
  return found;
}
