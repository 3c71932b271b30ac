import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { plan } from '../../src/plan/plan.ts';
import { addHold } from '../../src/holds/holds.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import type { Config } from '../../src/config.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/pipeline', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');

describe('sweep through BullMQ and PostgreSQL', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let cfg: Config;
  let ctx: EngineContext;
  let rules: Ruleset;
  let lender: SmallLender;
  let planned: Awaited<ReturnType<typeof plan>>;
  let first: Awaited<ReturnType<typeof sweep>>;

  beforeAll(async () => {
    t = await createTestDb('sweep');
    q = createQueuePrefix('sweep');
    cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_BATCH_SIZE: '3' });
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    await addHold(ctx, rules, { subject: lender.customers.held, reason: 'litigation', actor: 'test' });
    planned = await plan(ctx, rules, { now: NOW });
    first = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  const ids = (list: string[]) => sql`id = ANY(${sql.param(list)}::bigint[])`;

  it('destroys due records and their children, keeps the rest', async () => {
    expect(await count(t.db, 'loan_applications', ids(lender.dueApps))).toBe(0);
    expect(await count(t.db, 'loan_application_documents', ids(lender.dueDocs))).toBe(0);
    expect(await count(t.db, 'loan_applications', ids(lender.freshApps))).toBe(lender.freshApps.length);
    expect(await count(t.db, 'loan_applications', ids(lender.approvedApps))).toBe(lender.approvedApps.length);
    expect(await count(t.db, 'loan_application_documents', ids(lender.otherDocs))).toBe(lender.otherDocs.length);
  });

  it('never destroys a held subject\'s records and counts them as held', async () => {
    expect(await count(t.db, 'loan_applications', ids(lender.heldApps))).toBe(lender.heldApps.length);
    const p = first.policies.find((x) => x.id === 'rejected-loan-applications')!;
    expect(p).toMatchObject({ destroyed: lender.dueApps.length, held: lender.heldApps.length, failed: 0, due: lender.dueApps.length });
  });

  it('destroys exactly what the plan counted', () => {
    for (const p of planned) {
      const s = first.policies.find((x) => x.id === p.id)!;
      expect({ id: s.id, due: s.due, held: s.held, deferred: s.deferred, destroyed: s.destroyed, anonymised: s.anonymised })
        .toEqual({ id: p.id, due: p.due, held: p.held, deferred: p.deferred, destroyed: p.destroyed, anonymised: p.anonymised });
    }
  });

  it('keeps records a statutory minimum still covers, counted as deferred', async () => {
    expect(await count(t.db, 'kyc_records', ids(lender.kycOld))).toBe(0);
    expect(await count(t.db, 'kyc_records', ids(lender.kycFloorRunning))).toBe(1);
    expect(first.policies.find((x) => x.id === 'kyc-records')).toMatchObject({ destroyed: 1, deferred: 1 });
  });

  it('anonymises the listed columns and touches nothing else', async () => {
    const [c] = await rows<Record<string, string | null>>(t.db, sql`SELECT full_name, phone, id_number, email, birth_date::text, income::text, city,
      created_at::text, relationship_ended_at::text FROM customers WHERE id = ${lender.customers.ended}`);
    expect(c).toMatchObject({ full_name: '***', phone: null, id_number: '440301************', birth_date: '1988-01-01', income: '20000', city: '上海' });
    expect(c!.email).toMatch(/^[0-9a-f]{64}$/);
    const [untouched] = await rows<Record<string, string | null>>(t.db, sql`SELECT full_name, phone FROM customers WHERE id = ${lender.customers.endedRecently}`);
    expect(untouched).toEqual({ full_name: '刘洋', phone: '13511112222' });
    expect(first.policies.find((x) => x.id === 'customer-anonymise')).toMatchObject({ anonymised: 1, destroyed: 0 });
  });

  it('writes one evidence row per destroyed record and child, and no personal data', async () => {
    const byTable = await rows<{ table: string; action: string; n: string }>(t.db, sql`SELECT "table", action, count(*)::text AS n
      FROM lethe.evidence GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(byTable).toEqual([
      { table: 'public.customers', action: 'anonymise', n: '1' },
      { table: 'public.kyc_records', action: 'delete', n: '1' },
      { table: 'public.loan_application_documents', action: 'delete', n: String(lender.dueDocs.length) },
      { table: 'public.loan_applications', action: 'delete', n: String(lender.dueApps.length) },
    ]);
    const refs = await rows<{ subject_ref: string }>(t.db, sql`SELECT DISTINCT subject_ref FROM lethe.evidence WHERE "table" = 'public.loan_applications'`);
    expect(refs.map((r) => r.subject_ref)).toEqual([subjectRef(ctx.keys, lender.customers.plain)]);
    const dump = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(e)::text AS j FROM lethe.evidence e`)).map((r) => r.j).join('\n');
    for (const v of lender.values) expect(dump, `evidence contains ${v}`).not.toContain(v);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true, first_broken: null });
  });

  it('a second sweep destroys nothing and writes no evidence', async () => {
    const before = await count(t.db, 'lethe.evidence');
    const again = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    expect(again.policies.reduce((a, p) => a + p.destroyed + p.anonymised, 0)).toBe(0);
    expect(await count(t.db, 'lethe.evidence')).toBe(before);
  });
});
