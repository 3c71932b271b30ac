// `action: delete`: the record's row goes.
import { sql } from 'drizzle-orm';
import { col, sourceTable } from '../predicates.ts';
import type { ActionModule } from './types.ts';

export const deleteAction: ActionModule = {
  evidenceAction: 'delete',
  pending: () => sql`true`,
  readsValues: () => [],
  source: (p, _rules, returning) => ({
    sql: sql`DELETE FROM ${sourceTable(p)} t USING v WHERE ${col(p.source.key)} = v.lethe_k RETURNING ${returning}`,
  }),
  fields: () => null,
  survives: () => sql`true`,
};
