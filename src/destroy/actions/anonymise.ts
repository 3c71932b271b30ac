// `action: { anonymise: … }`: the record stays, its named columns are rewritten field by field
// (src/destroy/anonymise.ts has the strategies). `hmac` columns get a keyed pseudonym computed
// here, never in SQL: the key must not reach a statement PostgreSQL might log. The rows are
// locked first (CTE `v`), so what they held before — their object pointers — can be returned.
import { sql } from 'drizzle-orm';
import { col, sourceTable } from '../predicates.ts';
import { anonymisePending, anonymisedValue, describeStrategies } from '../anonymise.ts';
import { lockDue } from '../statement.ts';
import type { Policy } from '../../policy/types.ts';
import type { ActionModule } from './types.ts';

const fieldsOf = (p: Policy) => (p.action.kind === 'anonymise' ? p.action.fields : []);

export const anonymiseAction: ActionModule = {
  evidenceAction: 'anonymise',
  pending: (p) => anonymisePending(fieldsOf(p)),
  readsValues: (p) => fieldsOf(p).filter((f) => f.strategy.kind === 'hmac').map((f) => f.column),
  source(p, rules, victims, returning) {
    const hmac = anonymiseAction.readsValues(p);
    const sets = fieldsOf(p).map((f) => {
      const pseudonym = sql`v.${sql.identifier(`h${hmac.indexOf(f.column)}`)}`;
      return sql`${sql.identifier(f.column)} = ${anonymisedValue(f.column, f.strategy, rules.types.of(p.source, f.column), pseudonym)}`;
    });
    const v = victims.kind === 'due' ? lockDue(p, victims.keys, victims.due) : victims.rows;
    return {
      before: [sql`v AS (${v})`],
      d: sql`UPDATE ${sourceTable(p)} t SET ${sql.join(sets, sql`, `)} FROM v WHERE ${col(p.source.key)} = v.lethe_k RETURNING ${returning('v')}`,
    };
  },
  fields: (p) => describeStrategies(fieldsOf(p)),
  survives: (p) => anonymisePending(fieldsOf(p)),
};
