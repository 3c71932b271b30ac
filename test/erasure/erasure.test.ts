// Erasure requests on the real database with an injected clock: destroy what may go across
// policies, restrict what a floor keeps (with dates), destroy it when the clock passes the floor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';
import { fixedClock, type Clock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { recordErasureRequest, getErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { addHold } from '../../src/holds/holds.ts';
import { plan } from '../../src/plan/plan.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';
import { rows } from '../../src/db/sql.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const DAY = 86_400_000;

describe('erasure requests', () => {
  let t: TestDb;
  let rules: Ruleset;
  let lender: SmallLender;
  const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
  const ctxAt = (clock: Clock): EngineContext => ({ db: t.db, keys, clock, log: silentLogger });

  beforeAll(async () => {
    t = await createTestDb('erasure');
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
  });
  afterAll(async () => t.drop());

  it('destroys what may go across policies, defers the floored with its end date, and completes', async () => {
    const ctx = ctxAt(fixedClock(NOW));
    const subject = lender.customers.plain;
    const id = await recordErasureRequest(ctx, rules, 15, { subject, ticket: 'T-1', actor: 'operator:test' });
    expect(await executeErasure(ctx, rules, id, { batchSize: 1000 })).toBe('partially_deferred');

    // Every rejected application of the subject goes, due or not: the request ignores the clock.
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${subject} AND status = 'rejected'`)).toBe(0);
    // Approved applications are governed by no policy here: untouched.
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${subject} AND status = 'approved'`)).toBe(lender.approvedApps.length);
    // KYC: the old record's floor has run (destroyed); the recent one is restricted, not deleted.
    expect(await count(t.db, 'kyc_records', sql`id = ${lender.kycOld[0]}`)).toBe(0);
    expect(await count(t.db, 'kyc_records', sql`id = ${lender.kycFloorRunning[0]}`)).toBe(1);

    const view = (await getErasureRequest(t.db, id, NOW))!;
    expect(view.status).toBe('partially_deferred');
    expect(view.due_at).toBe('2026-12-11T08:00:00Z'); // 15 working days after Friday 20 November
    const kyc = view.policies.find((p) => p.policy === 'kyc-records')!;
    const [{ ended }] = await rows<{ ended: string }>(t.db, sql`SELECT relationship_ended_at::text AS ended FROM kyc_records WHERE id = ${lender.kycFloorRunning[0]}`) as [{ ended: string }];
    const floorEnd = new Date(ended);
    floorEnd.setUTCFullYear(floorEnd.getUTCFullYear() + 10);
    expect(kyc).toMatchObject({ destroyed: 1, deferred: 1, basis: ['反洗钱法 第三十四条'] });
    expect(kyc.until!.slice(0, 10)).toBe(floorEnd.toISOString().slice(0, 10));
    const apps = view.policies.find((p) => p.policy === 'rejected-loan-applications')!;
    expect(apps.destroyed).toBe(lender.dueApps.length + lender.freshApps.length);
    expect(view.reply).toContain('反洗钱法 第三十四条');
    expect(view.reply).toContain(`保存至 ${floorEnd.toISOString().slice(0, 10)}`);

    const deferred = await rows<{ fields: Record<string, string>; trigger: string; subject_ref: string }>(t.db, sql`SELECT fields, trigger, subject_ref FROM lethe.evidence WHERE action = 'deferred'`);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toMatchObject({ trigger: 'erasure_request', subject_ref: subjectRef(keys, subject), fields: { minimum: 'P10Y', basis: '反洗钱法 第三十四条' } });
    expect(deferred[0]!.fields.until!.slice(0, 10)).toBe(floorEnd.toISOString().slice(0, 10));
    // The raw subject id left the scan rows when they closed.
    expect(await count(t.db, 'lethe.scans', sql`subject IS NOT NULL`)).toBe(0);

    // Plan and sweep before the floor ends: kept, shown as restricted; no second deferral.
    const before = (await plan(ctx, rules, { now: NOW })).find((p) => p.id === 'kyc-records')!;
    expect(before, JSON.stringify(before)).toMatchObject({ restricted: 1, deferred: 1, due: 0 });
    await sweepInline(ctx, rules);
    expect(await count(t.db, 'kyc_records', sql`id = ${lender.kycFloorRunning[0]}`)).toBe(1);
    expect(await count(t.db, 'lethe.evidence', sql`action = 'deferred'`)).toBe(1);

    // The clock passes the floor: the scheduled pass destroys it without another request.
    const later = ctxAt(fixedClock(new Date(floorEnd.getTime() + DAY)));
    const due = (await plan(later, rules, { now: later.clock.now() })).find((p) => p.id === 'kyc-records')!;
    expect(due).toMatchObject({ due: 1, restricted: 0 });
    await sweepInline(later, rules);
    expect(await count(t.db, 'kyc_records', sql`id = ${lender.kycFloorRunning[0]}`)).toBe(0);
    expect(await count(t.db, 'lethe.restrictions', sql`closed_at IS NULL`)).toBe(0);
    const last = await rows<{ trigger: string }>(t.db, sql`SELECT trigger FROM lethe.evidence WHERE "table" = 'public.kyc_records' AND action = 'delete' ORDER BY seq DESC LIMIT 1`);
    expect(last[0]!.trigger).toBe('erasure_request');
    expect(await verifyEvidence(t.db, keys)).toMatchObject({ ok: true });
  });

  it('a held subject\'s request destroys nothing and says so', async () => {
    const ctx = ctxAt(fixedClock(NOW));
    // A customer of its own: the previous test's sweeps at a later clock emptied the others.
    const [{ id: subject }] = await rows<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at)
      VALUES ('赵敏', '北京', ${NOW}) RETURNING id::text`) as [{ id: string }];
    await t.db.execute(sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      SELECT ${subject}, 'rejected', 1000, ${NOW}, ${new Date(NOW.getTime() - 60 * DAY)} FROM generate_series(1, 3)`);
    await addHold(ctx, rules, { subject, reason: 'court order', actor: 'test' });
    const before = await count(t.db, 'loan_applications', sql`customer_id = ${subject}`);
    const evidenceBefore = await count(t.db, 'lethe.evidence');
    const id = await recordErasureRequest(ctx, rules, 15, { subject, ticket: 'T-held', actor: 'operator:test' });
    expect(await executeErasure(ctx, rules, id, { batchSize: 1000 })).toBe('held');
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${subject}`)).toBe(before);
    expect(await count(t.db, 'lethe.evidence')).toBe(evidenceBefore);
    const view = (await getErasureRequest(t.db, id, NOW))!;
    expect(view.policies.find((p) => p.policy === 'rejected-loan-applications')).toMatchObject({ held: before, destroyed: 0 });
    expect(view.reply).toContain('因法律程序需要暂缓删除');
  });

  it('refuses a duplicate ticket and an unknown subject, recording nothing', async () => {
    const ctx = ctxAt(fixedClock(NOW));
    const requests = await count(t.db, 'lethe.erasure_requests');
    const runs = await count(t.db, 'lethe.runs');
    const first = (await rows<{ id: string }>(t.db, sql`SELECT id FROM lethe.erasure_requests WHERE ticket = 'T-1'`))[0]!.id;
    await expect(recordErasureRequest(ctx, rules, 15, { subject: lender.customers.ended, ticket: 'T-1', actor: 'x' }))
      .rejects.toThrow(new ConflictError(`duplicate ticket: "T-1" already belongs to erasure request ${first}`));
    await expect(recordErasureRequest(ctx, rules, 15, { subject: '999999999', ticket: 'T-2', actor: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await count(t.db, 'lethe.erasure_requests')).toBe(requests);
    expect(await count(t.db, 'lethe.runs')).toBe(runs);
  });
});
