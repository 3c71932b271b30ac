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

  it('withholds the text of whatever a trigger or function raises, whatever SQLSTATE it claims', async () => {
    for (const [code, message] of [['P0001', 'cannot delete applicant 张伟 mobile 13800138000'], ['23514', 'applicant 张伟 (13800138000) may not go'],
      ['22023', 'bad phone "13800138000"'], ['23503', 'update or delete on table "张伟" violates foreign key constraint "13800138000" on table "x"']]) {
      const e = await t.db.execute(sql.raw(`DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = '${message}'; END $$`)).catch((x: unknown) => x);
      const d = describeError(e);
      expect(d, code).toBe(`PostgreSQL error ${code}: message withheld: raised by a trigger or function in the database, its text may carry personal data`);
    }
    const assert = await t.db.execute(sql.raw(`DO $$ BEGIN ASSERT false, 'applicant 张伟'; END $$`)).catch((x: unknown) => x);
    expect(describeError(assert)).toMatch(/^PostgreSQL error P0004: message withheld/);
  });

  it('keeps the server\'s own wording it knows to name only tables and constraints, and withholds any other', () => {
    const server = (code: string, message: string) => describeError(Object.assign(new Error(message), { code, message, routine: 'ri_ReportViolation' }));
    expect(server('23505', 'duplicate key value violates unique constraint "customers_pkey"')).toBe('PostgreSQL error 23505: duplicate key value violates unique constraint "customers_pkey"');
    expect(server('40P01', 'deadlock detected')).toBe('PostgreSQL error 40P01: deadlock detected');
    expect(server('XX000', 'could not find tuple for applicant 13800138000')).toBe('PostgreSQL error XX000: message withheld: its wording is not one lethe knows to be free of values');
    expect(server('23505', 'duplicate key 13800138000')).toMatch(/message withheld/);
  });
});
