// After a sweep at debug log level: no seeded name, phone, ID number or raw id appears in the
// evidence, in any log line, or in any Redis key or value the queues left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from '../cli/run-cli.ts';
import { rows } from '../../src/db/sql.ts';

async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL);
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

describe('no personal data in evidence, logs or Redis', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  let logs = '';
  let redis = '';

  beforeAll(async () => {
    t = await createTestDb('leaks');
    q = createQueuePrefix('leaks');
    lender = await seedSmallLender(t.db, new Date());
    const env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_BATCH_SIZE: '2', LOG_LEVEL: 'trace' };
    await runCli(['hold', 'add', '--subject', lender.customers.held, '--reason', 'case 7'], env);
    const r = await runCli(['sweep'], env);
    expect(r.code, r.stderr).toBe(0);
    logs = r.stderr + r.stdout;
    redis = await redisDump(q.prefix);
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('the sweep really ran and logged at trace level', async () => {
    expect(logs).toContain('"msg":"batch purged"');
    expect(redis.length).toBeGreaterThan(0);
    expect(Number((await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence`))[0]!.n)).toBeGreaterThan(10);
  });

  it('finds none of the seeded values anywhere', async () => {
    const evidence = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(e)::text AS j FROM lethe.evidence e`)).map((r) => r.j).join('\n');
    const seals = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(s)::text AS j FROM lethe.evidence_seals s`)).map((r) => r.j).join('\n');
    for (const value of lender.values) {
      expect(evidence, `evidence holds ${value}`).not.toContain(value);
      expect(seals, `seals hold ${value}`).not.toContain(value);
      expect(logs, `logs hold ${value}`).not.toContain(value);
      expect(redis, `redis holds ${value}`).not.toContain(value);
    }
  });
});
