// `kept_while`: records that are not due while their subject still has rows elsewhere. Proof of
// consent must outlive the data processed under it (PIPL art. 15 ✔: what was done before a
// withdrawal stays lawful, and must stay provable); and a consent row deleted before the
// profile it authorised would leave that profile with no withdrawal to trigger its deletion.
import { sql, type SQL } from 'drizzle-orm';
import { qualified } from '../db/sql.ts';
import type { Policy } from './types.ts';

/** No row of the subject left in any `kept_while` table (rows aliased `t`); `true` without any. */
export function dependentsGone(p: Policy): SQL {
  if (p.keptWhile.length === 0) return sql`true`;
  const subject = sql`t.${sql.identifier(p.source.subject)}`;
  // A record with no subject has no dependents; NOT EXISTS keeps NULL-safe semantics.
  return sql.join(p.keptWhile.map((k) => sql`NOT EXISTS (SELECT 1 FROM ${qualified(k.schema, k.table)} d
    WHERE d.${sql.identifier(k.subject)} = ${subject})`), sql` AND `);
}
