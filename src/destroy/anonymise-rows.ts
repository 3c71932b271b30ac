import { sql } from 'drizzle-orm';
import type { Tx } from '../db/connect.ts';
import type { Ruleset } from '../engine.ts';
import { hmacHex, type Keys } from '../crypto/keys.ts';
import { rows } from '../db/sql.ts';
import type { AnonymiseField, Policy } from '../policy/types.ts';
import { col, sourceTable } from './predicates.ts';
import { anonymisedValue } from './anonymise.ts';

/** Keyed pseudonym of a value: the same value gives the same pseudonym, so joins survive. */
export function pseudonym(keys: Keys, value: string): string {
  return hmacHex(keys.refKey, `value:${value}`);
}

/**
 * Rewrites the anonymised columns of the locked rows in one UPDATE and returns the keys it
 * changed. `hmac` values are computed here (the key never goes into SQL text or parameters
 * that PostgreSQL might log) and joined in as `v`.
 */
export async function anonymiseRows(
  tx: Tx, keys: Keys, rules: Ruleset, p: Policy, fields: AnonymiseField[], rowKeys: string[],
): Promise<string[]> {
  if (rowKeys.length === 0) return [];
  const table = { schema: p.source.schema, table: p.source.table };
  const keyType = rules.types.of(table, p.source.key);
  const hmacCols = fields.filter((f) => f.strategy.kind === 'hmac').map((f) => f.column);
  const columns = [sql`k`, ...hmacCols.map((c) => sql.identifier(c))];
  const arrays = [sql`${sql.param(rowKeys)}::text[]`];
  if (hmacCols.length > 0) {
    const current = await rows<Record<string, string | null>>(tx, sql`SELECT ${col(p.source.key)}::text AS k,
      ${sql.join(hmacCols.map((c) => sql`${col(c)}::text AS ${sql.identifier(c)}`), sql`, `)}
      FROM ${sourceTable(p)} t WHERE ${col(p.source.key)} = ANY(${sql.param(rowKeys)}::${sql.raw(keyType)}[])`);
    const byKey = new Map(current.map((r) => [r.k!, r]));
    for (const c of hmacCols) {
      const values = rowKeys.map((k) => {
        const v = byKey.get(k)?.[c];
        return v == null ? null : pseudonym(keys, v);
      });
      arrays.push(sql`${sql.param(values)}::text[]`);
    }
  }
  const sets = fields.map((f) => sql`${sql.identifier(f.column)} = ${anonymisedValue(f.column, f.strategy, rules.types.of(table, f.column))}`);
  const changed = await rows<{ k: string }>(tx, sql`UPDATE ${sourceTable(p)} t SET ${sql.join(sets, sql`, `)}
    FROM unnest(${sql.join(arrays, sql`, `)}) AS v(${sql.join(columns, sql`, `)})
    WHERE ${col(p.source.key)} = v.k::${sql.raw(keyType)} RETURNING ${col(p.source.key)}::text AS k`);
  return changed.map((r) => r.k);
}
