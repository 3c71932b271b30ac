// `action: { anonymise: … }`: the record stays, its named columns are rewritten field by field
// (src/destroy/anonymise.ts has the strategies). `hmac` columns get a keyed pseudonym computed
// here, never in SQL: the key must not reach a statement PostgreSQL might log. The rows are
// locked first (CTE `v`), so what they held before — their object pointers — can be returned.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { col, sourceTable } from '../predicates.ts';
import { anonymisePending, anonymisedValue, describeStrategies, PSEUDONYM_LENGTH, REDACTION_MASK } from '../anonymise.ts';
import { lockDue } from '../statement.ts';
import { columnMap, strict } from '../../policy/schema-parts.ts';
import type { ColumnInfo } from '../../policy/catalog.ts';
import type { AnonymiseField, AnonymiseStrategy, Policy } from '../../policy/types.ts';
import type { ActionModule } from './types.ts';

const STRATEGY_ERROR = 'is not a strategy (redact, null, hmac, { keep_prefix: n }, { generalise: year|month }, { bucket: n })';
const strategyObject = strict({
  keep_prefix: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  generalise: z.enum(['year', 'month'], { error: 'must be year or month' }).optional(),
  bucket: z.number().positive('must be greater than 0').optional(),
}).refine((o) => Object.keys(o).length === 1, 'must have exactly one of: keep_prefix, generalise, bucket');
const strategy = z.union([z.enum(['redact', 'hmac'], { error: STRATEGY_ERROR }), z.null(), strategyObject], { error: STRATEGY_ERROR });
export type RawStrategy = z.infer<typeof strategy>;
const schema = strict({ anonymise: columnMap(strategy, 'must name at least one column') });

function resolveStrategy(s: RawStrategy): AnonymiseStrategy {
  if (s === null) return { kind: 'null' };
  if (typeof s === 'string') return { kind: s };
  if (s.keep_prefix !== undefined) return { kind: 'keep_prefix', keep: s.keep_prefix };
  if (s.generalise !== undefined) return { kind: 'generalise', to: s.generalise };
  return { kind: 'bucket', size: s.bucket! };
}

const CLOCK_TYPES = ['date', 'timestamp', 'timestamptz'];

/** Why the strategy cannot write this column, or undefined when it can. */
function misfit(c: ColumnInfo, s: AnonymiseStrategy, describe: (c: ColumnInfo) => string): string | undefined {
  const text = c.category === 'S';
  switch (s.kind) {
    case 'redact':
      if (!text) return `redact needs a text column; ${describe(c)}`;
      if (c.maxLength !== undefined && c.maxLength < REDACTION_MASK.length) return `redact writes ${REDACTION_MASK.length} characters; ${describe(c)}`;
      return undefined;
    case 'keep_prefix':
      return text ? undefined : `keep_prefix needs a text column; ${describe(c)}`;
    case 'hmac':
      if (!text) return `hmac needs a text column; ${describe(c)}`;
      if (c.maxLength !== undefined && c.maxLength < PSEUDONYM_LENGTH) return `hmac writes ${PSEUDONYM_LENGTH} characters; ${describe(c)}`;
      return undefined;
    case 'generalise':
      return CLOCK_TYPES.includes(c.baseType) ? undefined : `generalise needs a date or timestamp column; ${describe(c)}`;
    case 'bucket':
      return c.category === 'N' && c.baseType !== 'money' ? undefined : `bucket needs a numeric column; ${describe(c)}`;
    case 'null':
      return c.nullable ? undefined : `null needs a nullable column; ${c.name} is NOT NULL`;
  }
}

const fieldsOf = (p: Policy): AnonymiseField[] => (p.action.kind === 'anonymise' ? p.action.fields : []);

export const anonymiseAction: ActionModule<{ kind: 'anonymise'; fields: AnonymiseField[] }> = {
  kind: 'anonymise',
  syntax: '{ anonymise: { column: strategy } }',
  summary: 'the record stays, its named columns rewritten field by field',
  schema,
  matches: (raw) => typeof raw === 'object' && raw !== null && 'anonymise' in raw,
  resolve(raw, problem) {
    const { key, subject } = raw.source;
    const fields = Object.entries((raw.action as z.infer<typeof schema>).anonymise).map(([column, s]) => ({ column, strategy: resolveStrategy(s) }));
    for (const f of fields) {
      if (f.column === key || f.column === subject) {
        const role = f.column === key ? 'key' : 'subject';
        problem(['action', 'anonymise', f.column],
          `action.anonymise.${f.column} is the source ${role} column: anonymising it would cut the record from its ${role === 'key' ? 'evidence and children' : 'subject, holds and erasure requests'}`, 'key');
      }
    }
    return { kind: 'anonymise', fields };
  },
  check(_p, a, c, src) {
    for (const f of a.fields) {
      const path = `action.anonymise.${f.column}`;
      const column = c.column(src, f.column, path);
      const why = column && misfit(column, f.strategy, c.describe);
      if (why) c.problem(path, why);
    }
  },
  purge: {
    evidenceAction: 'anonymise',
    pending: (p) => anonymisePending(fieldsOf(p)),
    readsValues: (p) => fieldsOf(p).filter((f) => f.strategy.kind === 'hmac').map((f) => f.column),
    source(p, rules, victims, returning) {
      const hmac = fieldsOf(p).filter((f) => f.strategy.kind === 'hmac').map((f) => f.column);
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
  },
};
