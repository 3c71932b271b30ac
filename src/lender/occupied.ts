// Before `lethe seed` writes a synthetic lender into a database: which of the reference
// lender's table names are taken, by whom, and how many rows they hold. A table of that name
// that the seeder did not make is the lender's own: it is never written into.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one, rows } from '../db/sql.ts';
import { LENDER_MARK, LENDER_TABLES } from './schema.ts';

export interface TakenTable {
  table: string;
  /** Made by the seeder (carries LENDER_MARK). */
  synthetic: boolean;
  rows: number;
}

/** The lender table names that exist in `public`. */
export async function takenLenderTables(db: Executor): Promise<TakenTable[]> {
  const found = await rows<{ name: string; mark: string | null }>(db, sql`SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS mark
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND c.relname = ANY(${sql.param([...LENDER_TABLES])}::text[]) ORDER BY c.relname`);
  const out: TakenTable[] = [];
  for (const f of found) {
    const synthetic = f.mark === LENDER_MARK;
    // Counting the lender's own tables would read them for nothing: they are refused anyway.
    const n = synthetic ? Number((await one<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sql.identifier('public')}.${sql.identifier(f.name)}`))!.n) : 0;
    out.push({ table: `public.${f.name}`, synthetic, rows: n });
  }
  return out;
}
