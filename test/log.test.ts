// Errors are logged and stored (Redis failed-job reasons, lethe.batches.error) through
// describeError: never a value from the query — drizzle's wrapper repeats the parameters, and
// PostgreSQL quotes bad input and (in `detail`) key values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './helpers.ts';
import { describeError } from '../src/log.ts';

describe('describeError', () => {
  let t: TestDb;
  beforeAll(async () => { t = await createTestDb('log'); });
  afterAll(async () => t.drop());

  it('withholds query parameters and quoted input of a failed statement', async () => {
    const e = await t.db.execute(sql`SELECT ${'13800138000-张伟'}::int`).catch((x: unknown) => x);
    expect(String((e as Error).message)).toContain('13800138000');
    const d = describeError(e);
    expect(d).toMatch(/^PostgreSQL error 22[0-9A-Z]{3}: /);
    expect(d).not.toContain('13800138000');
    expect(d).not.toContain('张伟');
  });

  it('withholds the key values of a foreign-key violation', async () => {
    const [c] = (await t.db.execute(sql`INSERT INTO customers (full_name, city, created_at) VALUES ('李四', '上海', now()) RETURNING id::text AS id`) as unknown as { rows: { id: string }[] }).rows;
    await t.db.execute(sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at) VALUES (${c!.id}, 'pending', 1, now())`);
    const e = await t.db.execute(sql`DELETE FROM customers WHERE id = ${c!.id}`).catch((x: unknown) => x);
    const d = describeError(e);
    expect(d).toMatch(/^PostgreSQL error 23503: constraint \S+: table \S+/);
    expect(d).not.toContain(c!.id);
  });
});
