// One database session held across several statements that are not one transaction: what a
// WITH HOLD cursor needs (it belongs to the session that declared it). On a server that is one
// pooled connection, checked out for the call; PGlite has a single session anyway.
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Db } from './connect.ts';

export async function withSession<T>(db: Db, fn: (session: Db) => Promise<T>): Promise<T> {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (!(client instanceof pg.Pool)) return fn(db);
  const conn = await client.connect();
  let broken: unknown;
  try {
    return await fn(drizzle(conn) as unknown as Db);
  } catch (e) {
    broken = e;
    throw e;
  } finally {
    // A connection whose statement failed may hold an aborted transaction or a cursor: discard it.
    conn.release(broken === undefined ? undefined : true);
  }
}
