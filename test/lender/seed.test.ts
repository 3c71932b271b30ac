import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count, createTestDb, type TestDb } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { LENDER_TABLES, createLenderSchema } from '../../src/lender/schema.ts';
import { samplePersonalValues, seedLender, seedLoanApplications } from '../../src/lender/seed.ts';

const NOW = new Date('2025-06-01T08:00:00Z');
const nowParam = sql`${NOW.toISOString()}::timestamptz`;
/** The rejected-loan-applications policy's condition (status rejected, decided ≥ P30D ago). */
const dueRejected = sql`status = 'rejected' AND decided_at <= ${nowParam} - interval '30 days'`;

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('lender_seed');
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(async () => {
  await t.db.execute(sql.raw(`TRUNCATE ${LENDER_TABLES.map((x) => `public.${x}`).join(', ')} RESTART IDENTITY`));
});

/** Every row of every lender table, hashed: equal fingerprints mean equal data. */
async function fingerprint(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of LENDER_TABLES) {
    const [r] = await rows<{ h: string | null }>(t.db, sql`SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) AS h FROM ${sql.identifier(table)} x`);
    out[table] = r!.h ?? '';
  }
  return out;
}

async function tableCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of LENDER_TABLES) out[table] = await count(t.db, table);
  return out;
}

/** GB 11643: weighted sum of the first 17 digits mod 11 selects the 18th character. */
function validIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((s, w, i) => s + w * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17];
}

/** Foreign keys whose child rows point at no parent. */
async function orphans(): Promise<number> {
  const checks: [string, string, string][] = [
    ['loan_applications', 'customer_id', 'customers'],
    ['loan_application_documents', 'application_id', 'loan_applications'],
    ['loans', 'application_id', 'loan_applications'],
    ['transactions', 'loan_id', 'loans'],
    ['device_risk_events', 'customer_id', 'customers'],
  ];
  let n = 0;
  for (const [child, fk, parent] of checks) {
    n += await count(t.db, child, sql`NOT EXISTS (SELECT 1 FROM ${sql.identifier(parent)} p WHERE p.id = ${sql.identifier(child)}.${sql.identifier(fk)})`);
  }
  return n;
}

describe('seedLender', () => {
  it('writes the same rows for the same seed and reports what it wrote', async () => {
    const first = await seedLender(t.db, { customers: 300, now: NOW, seed: 11 });
    expect(first).toEqual(await tableCounts());
    expect(first.customers).toBe(300);
    for (const table of LENDER_TABLES) expect(first[table], table).toBeGreaterThan(0);
    const data = await fingerprint();

    await t.db.execute(sql.raw(`TRUNCATE ${LENDER_TABLES.map((x) => `public.${x}`).join(', ')} RESTART IDENTITY`));
    expect(await seedLender(t.db, { customers: 300, now: NOW, seed: 11 })).toEqual(first);
    expect(await fingerprint()).toEqual(data);

    await t.db.execute(sql.raw(`TRUNCATE ${LENDER_TABLES.map((x) => `public.${x}`).join(', ')} RESTART IDENTITY`));
    await seedLender(t.db, { customers: 300, now: NOW, seed: 12 });
    expect((await fingerprint()).customers).not.toBe(data.customers);
  });

  it('puts about half of rejected applications past 30 days, none near the boundary', async () => {
    await seedLender(t.db, { customers: 500, now: NOW, seed: 3 });
    const rejected = await count(t.db, 'loan_applications', sql`status = 'rejected'`);
    const due = await count(t.db, 'loan_applications', dueRejected);
    expect(rejected).toBeGreaterThan(100);
    expect(due / rejected).toBeGreaterThan(0.3);
    expect(due / rejected).toBeLessThan(0.75);
    expect(await count(t.db, 'loan_applications', sql`decided_at BETWEEN ${nowParam} - interval '32 days' AND ${nowParam} - interval '28 days'`)).toBe(0);
    expect(await count(t.db, 'loan_applications', sql`decided_at > ${nowParam} OR applied_at > decided_at`)).toBe(0);
    // The other sample policies find work too, and work that is not yet due.
    const oldDevice = await count(t.db, 'device_risk_events', sql`observed_at <= ${nowParam} - interval '6 months'`);
    expect(oldDevice).toBeGreaterThan(0);
    expect(oldDevice).toBeLessThan(await count(t.db, 'device_risk_events'));
    expect(await count(t.db, 'customers', sql`relationship_ended_at <= ${nowParam} - interval '10 years'`)).toBeGreaterThan(0);
    expect(await count(t.db, 'customers', sql`relationship_ended_at > ${nowParam} - interval '10 years'`)).toBeGreaterThan(0);
  });

  it('writes realistic personal data', async () => {
    await seedLender(t.db, { customers: 200, now: NOW, seed: 5 });
    const people = await rows<{ full_name: string; phone: string; id_number: string; birth: string; created: string }>(t.db, sql`
      SELECT full_name, phone, id_number, to_char(birth_date, 'YYYYMMDD') AS birth, to_char(created_at, 'YYYYMMDD') AS created FROM customers`);
    expect(people).toHaveLength(200);
    for (const p of people) {
      expect(p.full_name).toMatch(/^[\u4e00-\u9fff]{2,3}$/);
      expect(p.phone).toMatch(/^1[3-9]\d{9}$/);
      expect(validIdNumber(p.id_number), p.id_number).toBe(true);
      expect(p.id_number.slice(6, 14)).toBe(p.birth);
      expect(Number(p.created) - Number(p.birth)).toBeGreaterThanOrEqual(180_000);
    }
    expect(new Set(people.map((p) => p.phone)).size).toBe(200);
  });

  it('keeps foreign keys real: no orphans, and a parent with children cannot go first', async () => {
    await seedLender(t.db, { customers: 200, now: NOW, seed: 9, bulk: true });
    expect(await orphans()).toBe(0);
    const [{ n }] = (await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`)) as [{ n: string }];
    expect(Number(n)).toBe(18);
    const [app] = await rows<{ id: string }>(t.db, sql`SELECT application_id::text AS id FROM loan_application_documents LIMIT 1`);
    await expect(t.db.execute(sql`DELETE FROM loan_applications WHERE id = ${app!.id}::bigint`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: '23503' }),
    });
    await createLenderSchema(t.db); // idempotent on a populated schema
  });
});

describe('seedLoanApplications', () => {
  it('writes exactly count applications of which exactly the due fraction is due', async () => {
    const s = await seedLoanApplications(t.db, { count: 1000, dueFraction: 0.37, now: NOW, seed: 2 });
    expect(s.due).toBe(370);
    expect(await count(t.db, 'loan_applications')).toBe(1000);
    expect(await count(t.db, 'loan_applications', dueRejected)).toBe(370);
    expect(await count(t.db, 'loan_applications', sql`status = 'rejected'`)).toBeGreaterThan(370);
    expect(await count(t.db, 'loan_application_documents')).toBe(1000);
    expect(await count(t.db, 'customers')).toBe(500);
    expect(s).toMatchObject({ loan_applications: 1000, loan_application_documents: 1000, customers: 500, loans: 0 });
    expect(await orphans()).toBe(0);
  });

  it('spreads the due records evenly and honours 0, 1 and documentsPerApplication', async () => {
    await seedLoanApplications(t.db, { count: 400, dueFraction: 0.5, now: NOW, bulk: true });
    const firstHalf = await count(t.db, 'loan_applications', sql`${dueRejected} AND id < 200000201`);
    expect(firstHalf).toBe(100);
    await seedLoanApplications(t.db, { count: 100, dueFraction: 1, now: NOW, documentsPerApplication: 0 });
    await seedLoanApplications(t.db, { count: 100, dueFraction: 0, now: NOW, documentsPerApplication: 2 });
    expect(await count(t.db, 'loan_applications', dueRejected)).toBe(300);
    expect(await count(t.db, 'loan_application_documents')).toBe(400 + 0 + 200);
    // New rows without an explicit id continue after the seeded ones.
    const [r] = await rows<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at) VALUES ('测试', '北京', now()) RETURNING id::text`);
    expect(Number(r!.id)).toBe(100_000_001 + 200 + 50 + 50);
  });
});

describe('samplePersonalValues', () => {
  it('returns names, phones, identity numbers and ids that are really in the tables', async () => {
    await seedLender(t.db, { customers: 300, now: NOW, seed: 4 });
    const values = await samplePersonalValues(t.db, 20);
    expect(values.length).toBe(20);
    expect(values.some((v) => /^[\u4e00-\u9fff]{3}$/.test(v))).toBe(true);
    expect(values.some((v) => /^1[3-9]\d{9}$/.test(v))).toBe(true);
    expect(values.some((v) => /^\d{17}[\dX]$/.test(v))).toBe(true);
    expect(values.some((v) => /^2\d{8}$/.test(v))).toBe(true);
    for (const v of values) {
      const found = await count(t.db, 'customers', sql`full_name = ${v} OR phone = ${v} OR id_number = ${v} OR id::text = ${v}`)
        + await count(t.db, 'loan_applications', sql`id::text = ${v}`);
      expect(found, v).toBeGreaterThan(0);
    }
  });
});
