import type { TableRef } from './types.ts';

export const DEFAULT_SCHEMA = 'public';

/** `table` or `schema.table` as a policy writes it; `public` when no schema is named. */
export function tableRef(name: string): TableRef {
  const dot = name.indexOf('.');
  return dot < 0 ? { schema: DEFAULT_SCHEMA, table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}
