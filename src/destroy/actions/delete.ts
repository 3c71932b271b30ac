// `action: delete`: the record's row goes. The due rows among a batch's keys are deleted by one
// DELETE, which locks each as it goes (a row another transaction holds is waited for and its
// due-ness checked again): no separate locking pass writing every row twice.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { col, sourceTable } from '../predicates.ts';
import type { ActionModule } from './types.ts';

export const deleteAction: ActionModule<{ kind: 'delete' }> = {
  kind: 'delete',
  syntax: 'delete',
  summary: 'the record\'s row is deleted, its declared children first',
  schema: z.literal('delete'),
  matches: (raw) => raw === 'delete',
  resolve: () => ({ kind: 'delete' }),
  check: () => {},
  purge: {
    evidenceAction: 'delete',
    pending: () => sql`true`,
    readsValues: () => [],
    source: (p, _rules, victims, returning) => ({
      before: [],
      d: victims.kind === 'due'
        ? sql`DELETE FROM ${sourceTable(p)} t WHERE ${col(p.source.key)} = ANY(${victims.keys}) AND ${victims.due} RETURNING ${returning('t')}`
        : sql`DELETE FROM ${sourceTable(p)} t USING (${victims.rows}) v WHERE ${col(p.source.key)} = v.lethe_k RETURNING ${returning('t')}`,
    }),
    fields: () => null,
    survives: () => sql`true`,
  },
};
