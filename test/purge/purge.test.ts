// Manual purges with four eyes: the requester cannot approve; an expired request cannot be
// approved; an approved plan never destroys a record outside it, nor one that became held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { parseDuration } from '../../src/duration.ts';
import { approvePurge, getPurgeRequest, requestPurge } from '../../src/purge/requests.ts';
import { purgeBatch } from '../../src/destroy/purge.ts';
import { addHold } from '../../src/holds/holds.ts';
import { ConflictError, FourEyesError } from '../../src/errors.ts';
import { rows } from '../../src/db/sql.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const TTL = parseDuration('PT24H')!;
const ids = (list: string[]) => sql`id = ANY(${sql.param(list)}::bigint[])`;

describe('manual purge with four-eyes approval', () => {
  let t: TestDb;
  let rules: Ruleset;
  let lender: SmallLender;
  const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
  const at = (d: Date): EngineContext => ({ db: t.db, keys, clock: fixedClock(d), log: silentLogger });

  beforeAll(async () => {
    t = await createTestDb('purge');
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
  });
  afterAll(async () => t.drop());

  it('the requester cannot approve their own request; an expired one cannot be approved', async () => {
    const ctx = at(NOW);
    const v = await requestPurge(ctx, rules, { target: { kind: 'policy', policyId: 'rejected-loan-applications' }, reason: 'backlog', requestedBy: 'operator:alice', ttl: TTL });
    await expect(approvePurge(ctx, { id: v.id, approver: 'operator:alice' }, 100)).rejects.toThrow(FourEyesError);
    await expect(approvePurge(ctx, { id: v.id, approver: 'operator:alice' }, 100)).rejects.toThrow('four eyes: operator:alice requested');
    const later = at(new Date(NOW.getTime() + 25 * 3_600_000));
    await expect(approvePurge(later, { id: v.id, approver: 'operator:bob' }, 100)).rejects.toThrow(ConflictError);
    expect((await getPurgeRequest(t.db, v.id, later.clock.now()))!.status).toBe('expired');
    await expect(approvePurge(later, { id: v.id, approver: 'operator:bob' }, 100)).rejects.toThrow(`purge request ${v.id} is expired`);
    expect(await count(t.db, 'loan_applications', ids(lender.dueApps))).toBe(lender.dueApps.length);
    expect(await count(t.db, 'lethe.batches')).toBe(0);
  });

  it('an approved plan destroys only its records that are still due and not held', async () => {
    const ctx = at(NOW);
    const v = await requestPurge(ctx, rules, { target: { kind: 'policy', policyId: 'rejected-loan-applications' }, reason: 'INC-7', requestedBy: 'operator:alice', ttl: TTL });
    expect(v.plan.total).toBe(lender.dueApps.length + lender.heldApps.length);
    expect(v.plan.policies[0]!.samples.every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
    // After the plan: a new due record appears (not in the plan) and one subject gets held.
    const [{ id: late }] = await rows<{ id: string }>(t.db, sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${lender.customers.plain}, 'rejected', 1, ${NOW}, ${new Date(NOW.getTime() - 50 * 86_400_000)}) RETURNING id::text`) as [{ id: string }];
    await addHold(ctx, rules, { subject: lender.customers.held, reason: 'new court order', actor: 'test' });
    await expect(approvePurge(ctx, { id: v.id, approver: 'operator:bob', planHash: 'f'.repeat(64) }, 100)).rejects.toThrow('is not the one you reviewed');
    const { batchIds } = await approvePurge(ctx, { id: v.id, approver: 'operator:bob', planHash: v.plan.hash }, 4);
    for (const b of batchIds) await purgeBatch(ctx, rules, b);

    expect(await count(t.db, 'loan_applications', ids(lender.dueApps))).toBe(0);
    expect(await count(t.db, 'loan_applications', ids([late]))).toBe(1);
    expect(await count(t.db, 'loan_applications', ids(lender.heldApps))).toBe(lender.heldApps.length);
    const done = (await getPurgeRequest(t.db, v.id, NOW))!;
    expect(done).toMatchObject({ status: 'executed', approved_by: 'operator:bob', outcome: { destroyed: lender.dueApps.length, held: lender.heldApps.length, failed: 0 } });
    const ev = await rows<{ trigger: string; actor: string; fields: Record<string, string> }>(t.db, sql`SELECT trigger, actor, fields FROM lethe.evidence
      WHERE "table" = 'public.loan_applications'`);
    expect(ev).toHaveLength(lender.dueApps.length);
    for (const e of ev) expect(e).toEqual({ trigger: 'manual', actor: 'operator:alice', fields: { purge_request: v.id, requested_by: 'operator:alice', approved_by: 'operator:bob', reason: 'INC-7' } });
    // The destruction register names both operators of the manual run.
    const run = (await buildRegister(t.db, {})).find((r) => r.kind === 'manual')!;
    expect(run).toMatchObject({ trigger: 'manual', executed_by: 'operator:alice', approved_by: 'operator:bob', records: lender.dueApps.length, child_rows: lender.dueDocs.length });
    expect(run.policies[0]!.retain_owed).toContain('P30D');
    // The plan's keys left lethe's tables with the batches that carried them.
    expect(await count(t.db, 'lethe.purge_request_items')).toBe(0);
    expect(await count(t.db, 'lethe.batches', sql`keys IS NOT NULL`)).toBe(0);
  });

  it('a subject purge ignores the clock but never a floor', async () => {
    const ctx = at(NOW);
    const v = await requestPurge(ctx, rules, { target: { kind: 'subject', subject: lender.customers.plain }, reason: 'court order 12', requestedBy: 'operator:alice', ttl: TTL });
    expect(v.plan.policies.map((p) => p.id)).not.toContain('kyc-records-floored');
    const { batchIds } = await approvePurge(ctx, { id: v.id, approver: 'operator:carol' }, 100);
    for (const b of batchIds) await purgeBatch(ctx, rules, b);
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${lender.customers.plain} AND status = 'rejected'`)).toBe(0);
    expect(await count(t.db, 'kyc_records', ids(lender.kycFloorRunning))).toBe(1);
    expect(await count(t.db, 'lethe.restrictions')).toBe(0);
  });
});
