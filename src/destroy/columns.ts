import type { TableRef } from '../policy/types.ts';

/**
 * Catalog types of the columns a policy names (e.g. `bigint`, `timestamp with time zone`),
 * used to cast text parameters back (`= ANY($1::bigint[])`) so indexes serve the lookups.
 * Built from the catalog check, so every type name here came from pg_catalog.
 */
export interface ColumnTypes {
  of(table: TableRef, column: string): string;
  /** A domain's base type with its modifiers (`numeric(12,2)`); `of` itself for other columns. */
  baseOf(table: TableRef, column: string): string;
}

const SAFE_TYPE = /^[a-z0-9 _(),]+$/;

export function columnTypesFrom(map: Map<string, string>, bases: Map<string, string> = map): ColumnTypes {
  const lookup = (from: Map<string, string>, table: TableRef, column: string) => {
    const type = from.get(`${table.schema}.${table.table}.${column}`);
    if (!type || !SAFE_TYPE.test(type)) {
      throw new Error(`no catalog type known for ${table.schema}.${table.table}.${column}: run the catalog check first`);
    }
    return type;
  };
  return { of: (table, column) => lookup(map, table, column), baseOf: (table, column) => lookup(bases, table, column) };
}
