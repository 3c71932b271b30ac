// Issue #12, item 8, as it broke: with DATABASE_URL exported (as the operations section tells
// the reader to), `lethe demo` seeded 2,000 synthetic customers into that database and swept it
// with the shipped policies. The demo never touches a database it did not create: it uses its
// embedded one whatever DATABASE_URL says, and says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { count, createQueuePrefix, createTestDb, REDIS_URL, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { ROOT, runCli } from './run-cli.ts';

describe('lethe demo with DATABASE_URL set', () => {
  let t: TestDb;
  let dir: string;
  let q: ReturnType<typeof createQueuePrefix>;

  beforeAll(async () => {
    t = await createTestDb('demodb');
    await seedSmallLender(t.db, new Date());
    dir = mkdtempSync(join(tmpdir(), 'lethe-demo-db-'));
    q = createQueuePrefix('demodb');
  });
  afterAll(async () => {
    await q.cleanup();
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  const snapshot = async () => ({
    customers: await count(t.db, 'customers'), applications: await count(t.db, 'loan_applications'),
    runs: await count(t.db, 'lethe.runs'), evidence: await count(t.db, 'lethe.evidence'), holds: await count(t.db, 'lethe.holds'),
    due: await count(t.db, 'loan_applications', sql`status = 'rejected' AND decided_at < now() - interval '30 days'`),
  });

  it('leaves that database alone, uses its embedded one, and says so', async () => {
    const before = await snapshot();
    expect(before.due).toBeGreaterThan(0);
    const env = { DATABASE_URL: t.url, REDIS_URL, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: join(ROOT, 'policies') };
    const r = await runCli(['demo', '--customers', '60', '--json'], env, { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { database: string; databaseUrlIgnored: boolean; evidence: { records: number } };
    expect(report.database).toMatch(/^embedded PGlite in \.lethe\/pgdata$/);
    expect(report.databaseUrlIgnored).toBe(true);
    expect(report.evidence.records).toBeGreaterThan(0);
    expect(r.stderr).toContain('DATABASE_URL is set and ignored: the demo never touches that database');
    expect(await snapshot()).toEqual(before);
  }, 300_000);
});
