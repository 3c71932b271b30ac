// The few helpers every test file shares. Real PostgreSQL and Redis, never mocks: each test
// file gets its own database (cloned from the template built in global-setup) and its own
// BullMQ prefix, and drops both when it ends.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { sql, type SQL } from 'drizzle-orm';
import { ADMIN_URL, REDIS_URL, TEMPLATE_DB, dbUrl } from './db-names.ts';
import { openPostgres, type Database, type Db } from '../src/db/connect.ts';
import { rows } from '../src/db/sql.ts';
import { loadConfig, type Config } from '../src/config.ts';

export { REDIS_URL };
export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestDb {
  name: string;
  url: string;
  database: Database;
  db: Db;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database: lethe schema migrated, lender tables empty. */
export async function createTestDb(label = 't'): Promise<TestDb> {
  const name = `lethe_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin(async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
        return;
      } catch (e) {
        // Two files cloning the template at the same instant: PostgreSQL refuses one; retry.
        if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  const url = dbUrl(name);
  const database = openPostgres(url, { maxConnections: 6 });
  return {
    name,
    url,
    database,
    db: database.db,
    async drop() {
      await database.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A BullMQ prefix no other test file uses; `cleanup` deletes every key under it. */
export function createQueuePrefix(label = 't'): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `lethe-test-${label}-${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** Every key under the prefix with every value it holds, as text: what Redis knows of a test's queues. */
export async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        out.push(key);
        const type = await redis.type(key);
        if (type === 'string') out.push(String(await redis.get(key)));
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, 0, -1)));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return out.join('\n');
}

/** A Config as the CLI would build it, pointed at the test database and prefix. */
export function testConfig(t: { url: string }, extra: Record<string, string> = {}): Config {
  return loadConfig({ database: true, secret: true }, {
    DATABASE_URL: t.url,
    REDIS_URL,
    LETHE_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    LETHE_OPERATOR: 'test-operator',
    ...extra,
  });
}

export async function count(db: Db, table: string, where: SQL = sql`true`): Promise<number> {
  const [schema, name] = table.includes('.') ? table.split('.') : ['public', table];
  const r = await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sql.identifier(schema!)}.${sql.identifier(name!)} WHERE ${where}`);
  return Number(r[0]!.n);
}

/** Polls `check` until it holds; fails the test with `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
