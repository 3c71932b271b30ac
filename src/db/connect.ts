import pg from 'pg';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';

type Schema = Record<string, never>;
/** A drizzle database on node-postgres or (for `lethe demo`) PGlite: the engine sees only this. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that runs a statement: the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  readonly db: Db;
  /** `postgres` for a server, `pglite` for the embedded demo database (one connection). */
  readonly kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Pool size; one per concurrent purge plus room for scans and bookkeeping. */
  maxConnections?: number;
  applicationName?: string;
}

export function openPostgres(url: string, opts: OpenOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    application_name: opts.applicationName ?? 'lethe',
  });
  // A dropped idle connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor one dropped while checked out between two statements (pg_terminate_backend, a failover):
  // with no query running, the client emits 'error', fatal without a listener. The next statement
  // fails instead, the transaction rolls back, and the pool discards the client on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzlePg(pool) as unknown as Db;
  return { db, kind: 'postgres', close: () => pool.end() };
}

export async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite(client) as unknown as Db;
  return { db, kind: 'pglite', close: () => client.close() };
}
