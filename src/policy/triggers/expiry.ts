// `trigger: { kind: expiry, from: column }`: the clock starts at a timestamp of the record itself
// (a decision, the end of a relationship); NULL means it has not started.
import { sql } from 'drizzle-orm';
import { identifier } from '../schema-parts.ts';
import type { TriggerModule } from './types.ts';

export interface ExpiryTrigger {
  kind: 'expiry';
  from: string;
}

const col = (name: string) => sql`t.${sql.identifier(name)}`;

export const expiry: TriggerModule<ExpiryTrigger> = {
  kind: 'expiry',
  summary: 'a date or timestamp column of the record starts the clock (NULL: not started)',
  keys: { from: identifier.optional() },
  resolve(raw, problem) {
    if (raw.from === undefined) {
      problem(['trigger', 'kind'], 'trigger.from is required for kind expiry: the timestamp column that starts the clock');
      return undefined;
    }
    return { kind: 'expiry', from: raw.from as string };
  },
  tables: () => [],
  check(p, t, c, src) {
    c.clock(src, t.from, 'trigger.from');
    if (src && src.columns.has(t.from) && !c.servesScan(src, t.from)) {
      const columns = [...c.equalities, t.from].join(', ');
      c.warning('trigger.from', `no index on ${c.shown(src)} leads with ${t.from}, so every scan reads the whole table; create one: CREATE INDEX ON ${c.shown(src)} (${columns})`);
    }
  },
  passed: (_p, t, cutoff) => sql`(${col(t.from)} IS NOT NULL AND ${col(t.from)} <= ${cutoff})`,
  clockColumn: (t) => t.from,
  describe: (t) => `expiry(${t.from})`,
};
