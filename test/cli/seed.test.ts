// `lethe seed` as a user runs it: the reference lender into DATABASE_URL, then the shipped
// policies check against it. It never writes into a lender's own tables of the same names, and
// does not seed twice unless told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count, createTestDb, TEST_SECRET, type TestDb } from '../helpers.ts';
import { LENDER_TABLES } from '../../src/lender/schema.ts';
import { runCli } from './run-cli.ts';

let t: TestDb;
let own: TestDb;
beforeAll(async () => {
  t = await createTestDb('cli_seed');
  // A lender's own database: a `customers` table of its own making, with a person in it.
  own = await createTestDb('cli_seed_own');
  await own.db.execute(sql.raw(`DROP TABLE ${[...LENDER_TABLES].reverse().map((x) => `public.${x}`).join(', ')}`));
  await own.db.execute(sql`CREATE TABLE public.customers (customer_no text PRIMARY KEY, name text)`);
  await own.db.execute(sql`INSERT INTO public.customers VALUES ('C-1', '张三')`);
}, 60_000);
afterAll(async () => {
  await t?.drop();
  await own?.drop();
});

describe('lethe seed', () => {
  it('seeds the reference lender; the shipped policies check against it; a second seed needs --append', async () => {
    const env = { DATABASE_URL: t.url, LETHE_SECRET: TEST_SECRET };
    const r = await runCli(['seed', '--customers', '40', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { seeded: Record<string, number>; database: string };
    expect(doc.seeded.customers).toBe(40);
    for (const table of LENDER_TABLES) expect(await count(t.db, table), table).toBe(doc.seeded[table]);

    const check = await runCli(['policies', 'check', '--db'], env);
    expect(check.code, check.stderr).toBe(0);

    const again = await runCli(['seed', '--customers', '40'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^lethe seed: the reference lender is already seeded here .*--append/m);
    expect(await count(t.db, 'customers')).toBe(40);

    const more = await runCli(['seed', '--customers', '10', '--append'], env);
    expect(more.code, more.stderr).toBe(0);
    expect(await count(t.db, 'customers')).toBe(50);
    expect(more.stdout).toContain('npx lethe plan');
  }, 120_000);

  it('refuses a database whose tables of the same names it did not make, even with --append', async () => {
    for (const args of [['seed'], ['seed', '--append']]) {
      const r = await runCli(args, { DATABASE_URL: own.url });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('already has public.customers, not made by lethe seed');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await count(own.db, 'customers')).toBe(1);
    expect(await count(own.db, 'pg_catalog.pg_tables', sql`schemaname = 'public'`)).toBe(1);
  }, 60_000);

  it('a bad --customers is a usage error naming the range', async () => {
    const r = await runCli(['seed', '--customers', '1e3'], { DATABASE_URL: t.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--customers "1e3" must be a whole number from 1 to');
  });
});
