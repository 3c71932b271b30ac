// `plan` counts the files a sweep now would delete from object storage: the non-empty pointers
// of the due records (held subjects' left out) and of their child rows.
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { qualified, rows } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import { heldSubjects } from '../holds/active.ts';
import { col, sourceTable } from '../destroy/predicates.ts';
import type { Policy } from '../policy/types.ts';

const present = (expr: SQL): SQL => sql`(CASE WHEN nullif(btrim(${expr}::text), '') IS NULL THEN 0 ELSE 1 END)`;

/** Files per due record, as one SQL expression over the source row `t`. */
function filesOf(p: Policy): SQL | undefined {
  const terms: SQL[] = p.objects.map((o) => present(col(o.column)));
  for (const c of p.children) {
    for (const o of c.objects) {
      terms.push(sql`(SELECT count(*) FROM ${qualified(c.schema, c.table)} c WHERE c.${sql.identifier(c.foreignKey)} = ${col(p.source.key)}
        AND ${present(sql`c.${sql.identifier(o.column)}`)} = 1)`);
    }
  }
  return terms.length === 0 ? undefined : sql.join(terms, sql` + `);
}

/** Undefined for a policy without `objects:`. `parts`: the disjoint due parts plan counts. */
export async function countDueObjects(ctx: EngineContext, p: Policy, parts: SQL[]): Promise<number | undefined> {
  const files = filesOf(p);
  if (!files) return undefined;
  const holds = await heldSubjects(ctx.db, p.id);
  const perSubject = await rows<{ s: string | null; n: string }>(ctx.db, sql`SELECT s, sum(n)::text AS n FROM (${sql.join(
    parts.map((w) => sql`SELECT ${col(p.source.subject)}::text AS s, ${files} AS n FROM ${sourceTable(p)} t WHERE ${w}`), sql` UNION ALL `)}) x GROUP BY s`);
  let n = 0;
  for (const r of perSubject) if (r.s === null || !holds.has(subjectRef(ctx.keys, r.s))) n += Number(r.n ?? 0);
  return n;
}
