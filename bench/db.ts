// The bench's databases: one seeded reference lender per size, copied (CREATE DATABASE …
// TEMPLATE) for each run that must start from the same rows.
import pg from 'pg';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { createLenderSchema } from '../src/lender/schema.ts';
import { seedLoanApplications } from '../src/lender/seed.ts';

export const HOST = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const url = (db: string): string => `${HOST}/${db}`;

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export async function admin(sqlText: string, db = 'postgres'): Promise<void> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  try { await c.query(sqlText); } finally { await c.end(); }
}

export async function scalar(db: string, q: string): Promise<number> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  try { return Number((await c.query(q)).rows[0].n); } finally { await c.end(); }
}

/**
 * Called before every timed run: a CHECKPOINT, so that no side pays for the dirty pages and WAL
 * the seeding and copying before it left behind (a checkpoint mid-run slowed the yardstick by half).
 */
export async function settle(): Promise<void> {
  await admin('CHECKPOINT');
}

export async function dropDb(db: string): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}

export async function copyDb(from: string, to: string): Promise<void> {
  await dropDb(to);
  await admin(`CREATE DATABASE ${to} TEMPLATE ${from}`);
}

export async function dbExists(db: string): Promise<boolean> {
  return (await scalar('postgres', `SELECT count(*) AS n FROM pg_database WHERE datname = '${db}'`)) === 1;
}

/** A kept seed brought up to this version: lethe migrations, lender tables and indexes. */
export async function refreshSchema(db: string): Promise<void> {
  await migrateServer(url(db));
  const database = openPostgres(url(db), { maxConnections: 1 });
  try {
    await createLenderSchema(database.db);
  } finally {
    await database.close();
  }
}

/**
 * `records` loan applications of which `due` are due under the bench's policy (rejected,
 * decided more than 30 days ago), one document each, and `records / 2` customers (about a
 * quarter of whom ended their relationship more than a year ago: the anonymise policy's due).
 */
export async function seedBenchDb(db: string, records: number, due: number, now: Date): Promise<number> {
  await dropDb(db);
  await admin(`CREATE DATABASE ${db}`);
  await migrateServer(url(db));
  const database = openPostgres(url(db), { maxConnections: 2 });
  const started = Date.now();
  try {
    await createLenderSchema(database.db);
    await seedLoanApplications(database.db, { count: records, dueFraction: due / records, now });
  } finally {
    await database.close();
  }
  await admin('VACUUM ANALYZE', db);
  return (Date.now() - started) / 1000;
}

const at = (cutoff: Date | undefined, retain: string) => (cutoff ? `'${cutoff.toISOString()}'::timestamptz` : `now() - interval '${retain}'`);

/** Due under bench/policies (the delete policy) at `cutoff` (default: by the database's clock). */
export const dueDeleteSql = (cutoff?: Date): string => `SELECT count(*) AS n FROM loan_applications
  WHERE status = 'rejected' AND decided_at <= ${at(cutoff, '30 days')}`;
/** Due under bench/policies-anonymise: ended > 1 year before `cutoff` and not yet anonymised. */
export const dueAnonymiseSql = (cutoff?: Date): string => `SELECT count(*) AS n FROM customers
  WHERE relationship_ended_at <= ${at(cutoff, '1 year')} AND full_name <> '***'`;
