import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import { SchemaVersionError } from '../errors.ts';
import { databaseError } from '../log.ts';
import { unreachable } from './reachable.ts';
import type { Database, Executor } from './connect.ts';
import { LOCKS, rows } from './sql.ts';

/** The checked-in migrations: found by walking up, so it works from src/ and from the dist/ bundle. */
function findMigrations(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'drizzle', 'meta', '_journal.json'))) return join(dir, 'drizzle');
    if (dirname(dir) === dir) throw new Error('lethe: the drizzle/ migrations folder is missing from this installation');
  }
}

export const MIGRATIONS_FOLDER = findMigrations();
const MIGRATIONS = { migrationsFolder: MIGRATIONS_FOLDER, migrationsSchema: 'lethe', migrationsTable: '__migrations' };

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

function journal(): Journal {
  return JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as Journal;
}

export interface MigrateResult {
  /** Migrations applied by this call (0: the schema was already current). */
  applied: number;
  /** Migrations the schema has now. */
  total: number;
  /** The schema did not exist before this call. */
  created: boolean;
  /** The newest migration's tag (drizzle/meta/_journal.json). */
  latest: string;
}

async function appliedCount(client: pg.Client): Promise<number | undefined> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('lethe.__migrations')::text AS t`);
  if (exists.rows[0]?.t == null) return undefined;
  const r = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM lethe.__migrations');
  return Number(r.rows[0]!.n);
}

/**
 * Applies the checked-in migrations and says what it did. On a server, one session holds an
 * advisory lock while it migrates, so several processes may run `lethe migrate` at once: the
 * others wait, then find nothing left to do.
 */
export async function migrateServer(url: string): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'lethe migrate' });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    throw unreachable(url, e) ?? e;
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCKS.migrate]);
    const before = await appliedCount(client);
    await migratePg(drizzle(client), MIGRATIONS);
    const total = (await appliedCount(client)) ?? 0;
    return { applied: total - (before ?? 0), total, created: before === undefined, latest: journal().entries.at(-1)!.tag };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrate]).catch(() => {});
    await client.end();
  }
}

export async function migrateDatabase(database: Database, url?: string): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, MIGRATIONS);
  } else {
    if (!url) throw new Error('migrateDatabase needs the server URL');
    await migrateServer(url);
  }
}

/** The worker refuses to run on a schema it does not know: older (run migrate) or newer. */
export async function assertSchemaCurrent(db: Executor): Promise<void> {
  const expected = journal().entries.at(-1)!.when;
  let applied: number | undefined;
  try {
    const r = await rows<{ at: string | null }>(db, sql`SELECT max(created_at)::text AS at FROM lethe.__migrations`);
    applied = r[0]?.at == null ? undefined : Number(r[0].at);
  } catch (e) {
    // Only "no such table/schema" means missing; anything else (no connection) is its own error.
    const code = databaseError(e)?.code;
    if (code !== '42P01' && code !== '3F000') throw e;
    applied = undefined;
  }
  if (applied === undefined) {
    throw new SchemaVersionError('the lethe schema is missing in this database: run `lethe migrate` first');
  }
  if (applied < expected) {
    throw new SchemaVersionError('the lethe schema is older than this version of lethe: run `lethe migrate`');
  }
  if (applied > expected) {
    throw new SchemaVersionError('the lethe schema is newer than this version of lethe knows: upgrade lethe before starting workers');
  }
}
