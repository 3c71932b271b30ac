// pg_partman's own retention drops (or, with retention_keep_table, detaches) old partitions on
// its own schedule: no evidence, and straight through legal holds and statutory floors. On a
// table a policy destroys from, it must not race lethe: `policies check --db` says so.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { qualified, rows } from '../db/sql.ts';
import { describeError } from '../log.ts';
import type { PolicyProblem } from '../errors.ts';
import { qualifiedName, type Policy } from './types.ts';
import { shown } from './catalog-rules.ts';

interface Retention extends Record<string, unknown> {
  parent: string;
  retention: string;
  keep: boolean;
}

/** A warning for each table a policy destroys from whose pg_partman config sets `retention`. */
export async function partmanRetentionWarnings(db: Executor, policies: readonly Policy[]): Promise<PolicyProblem[]> {
  const [ext] = await rows<{ schema: string }>(db, sql`SELECT n.nspname AS schema FROM pg_extension e
    JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman'`);
  if (!ext) return [];
  let configs: Retention[];
  try {
    configs = await rows<Retention>(db, sql`SELECT parent_table AS parent, retention, coalesce(retention_keep_table, false) AS keep
      FROM ${qualified(ext.schema, 'part_config')} WHERE retention IS NOT NULL`);
  } catch (e) {
    const at = policies[0] ? { file: policies[0].file, line: 1, col: 1 } : { file: '(policies)', line: 1, col: 1 };
    return [{ ...at, message: `pg_partman is installed but its part_config could not be read (${describeError(e)}): check by hand that no table a policy governs has retention set` }];
  }
  const byTable = new Map(configs.map((c) => [c.parent, c]));
  const out: PolicyProblem[] = [];
  for (const p of policies) {
    for (const [path, t] of [['source.table', p.source] as const, ...p.children.map((c, i) => [`children.${i}.table`, c] as const)]) {
      const c = byTable.get(qualifiedName(t));
      if (!c) continue;
      const at = p.positions[path] ?? { file: p.file, line: 1, col: 1 };
      const what = c.keep
        ? `detaches partitions of ${shown(t)} older than ${c.retention} (retention_keep_table): their rows leave the table this policy governs and nothing destroys them`
        : `drops partitions of ${shown(t)} older than ${c.retention} itself, with no evidence and through legal holds and statutory floors`;
      out.push({ ...at, message: `${path.replace(/\.(\d+)\./, '[$1].')}: pg_partman ${what}; hand retention to lethe: UPDATE ${ext.schema}.part_config SET retention = NULL WHERE parent_table = '${c.parent}'` });
    }
  }
  return out;
}
