// Floors that bind an erasure request and floors that do not (PIPL art. 47): with the shipped
// pack, a subject's sales recordings (a six-month floor applied by analogy) go at once when they
// ask, while their KYC record (the AML law's ten years) is restricted until the floor ends. The
// plan's preview, the evidence, the register and the reply to the subject all say the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { count, createTestDb, testConfig, type TestDb } from '../helpers.ts';
import { loadPolicies, parsePolicy } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { packStores } from '../fixtures/s3.ts';

/** The stores the shipped pack's objects: name, pointing nowhere: these tests store no file. */
const PACK_STORES = packStores();
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { getErasureRequest, recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { plan } from '../../src/plan/plan.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { one, rows } from '../../src/db/sql.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import type { Policy } from '../../src/policy/types.ts';

const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const NOW = new Date('2026-06-10T09:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

describe('floor kinds and erasure requests', () => {
  let t: TestDb;
  let pack: Policy[];
  let rules: Ruleset;
  let ctx: EngineContext;
  const customer = async (name: string) => (await one<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at)
    VALUES (${name}, '上海', ${ago(3000)}) RETURNING id::text`))!.id;
  const recording = async (c: string, endedDaysAgo: number) => (await one<{ id: string }>(t.db, sql`INSERT INTO sales_recordings
    (customer_id, channel, storage_uri, duration_seconds, recorded_at, contract_ended_at)
    VALUES (${c}::bigint, 'phone', 'oss://lender-sales-recordings/r.m4a', 300, ${ago(900)}, ${ago(endedDaysAgo)}) RETURNING id::text`))!.id;
  const kyc = async (c: string, endedDaysAgo: number) => (await one<{ id: string }>(t.db, sql`INSERT INTO kyc_records
    (customer_id, id_number, full_name, verified_at, relationship_ended_at)
    VALUES (${c}::bigint, '110101199001011234', '王小明', ${ago(3000)}, ${ago(endedDaysAgo)}) RETURNING id::text`))!.id;

  beforeAll(async () => {
    t = await createTestDb('floorkinds');
    pack = await loadPolicies(PACK);
    rules = (await buildRuleset(t.db, pack, PACK_STORES)).ruleset;
    ctx = { db: t.db, keys: deriveKeys(testConfig(t).secret!), clock: fixedClock(NOW), log: silentLogger };
  });
  afterAll(async () => t?.drop());

  it('the pack says who set each floor: the sales-recording floor is an analogy, the AML and Cybersecurity Law floors are law', () => {
    const kinds = Object.fromEntries(pack.filter((p) => p.minimum).map((p) => [p.id, p.minimum!.kind]));
    expect(kinds).toMatchObject({ 'sales-recordings': 'analogy', 'kyc-records': 'law', 'transaction-records': 'law', 'access-logs': 'law' });
  });

  it('an erasure request destroys recordings under the analogy floor and defers the KYC record under the AML floor', async () => {
    const subject = await customer('王小明');
    const rec = await recording(subject, 30); // the six-month floor runs for five more months
    const k = await kyc(subject, 365); // nine years of the AML floor left
    // A bystander's recording under the same floor: a routine sweep keeps it (the floor still binds the business).
    const other = await customer('李四');
    const otherRec = await recording(other, 30);

    const [preview] = await plan(ctx, rules, { now: NOW, subject, policyIds: ['sales-recordings'] });
    const [kycPreview] = await plan(ctx, rules, { now: NOW, subject, policyIds: ['kyc-records'] });
    expect(preview).toMatchObject({ floor: 'analogy', on_erasure: { destroy: 1, defer: 0, held: 0 } });
    expect(kycPreview).toMatchObject({ floor: 'law', on_erasure: { destroy: 0, defer: 1, held: 0 } });

    const id = await recordErasureRequest(ctx, rules, 15, { subject, ticket: 'FK-1', actor: 'operator:test' });
    expect(await executeErasure(ctx, rules, id, { batchSize: 100 })).toBe('partially_deferred');
    expect(await count(t.db, 'sales_recordings', sql`id = ${rec}::bigint`)).toBe(0);
    expect(await count(t.db, 'kyc_records', sql`id = ${k}::bigint`)).toBe(1);
    expect(await count(t.db, 'lethe.restrictions', sql`policy_id = 'kyc-records' AND closed_at IS NULL`)).toBe(1);
    expect(await count(t.db, 'lethe.restrictions', sql`policy_id = 'sales-recordings'`)).toBe(0);

    const evidence = await rows<{ policy_id: string; action: string; trigger: string }>(t.db, sql`SELECT policy_id, action, trigger
      FROM lethe.evidence WHERE policy_id IN ('sales-recordings', 'kyc-records') ORDER BY policy_id`);
    expect(evidence).toEqual([
      { policy_id: 'kyc-records', action: 'deferred', trigger: 'erasure_request' },
      { policy_id: 'sales-recordings', action: 'delete', trigger: 'erasure_request' },
    ]);

    const view = (await getErasureRequest(t.db, id, NOW))!;
    expect(view.policies.find((p) => p.policy === 'sales-recordings')).toMatchObject({ destroyed: 1, deferred: 0 });
    expect(view.policies.find((p) => p.policy === 'kyc-records')).toMatchObject({ destroyed: 0, deferred: 1 });
    expect(view.reply).toContain('销售过程录音录像：已删除 1 条记录');
    expect(view.reply).not.toContain('银行业金融机构销售专区录音录像管理暂行规定');
    expect(view.reply).toContain('反洗钱法');

    // The register does not claim the yielded floor was served, and says which floor held.
    const lines = (await buildRegister(t.db, {})).flatMap((r) => r.policies);
    const sales = lines.find((l) => l.policy_id === 'sales-recordings' && l.trigger === 'erasure_request')!;
    expect(sales).toMatchObject({ action: 'delete', records: 1, minimum_kind: 'analogy' });
    expect(sales.served_at_least_per_rule).toBe('none: erasure request; the minimum P6M (analogy, not set by a law) yields to it');
    expect(lines.find((l) => l.policy_id === 'kyc-records')).toMatchObject({ action: 'deferred', minimum_kind: 'law' });

    // Without a request, the same floor still keeps the bystander's recording from a sweep.
    await sweepInline(ctx, rules);
    expect(await count(t.db, 'sales_recordings', sql`id = ${otherRec}::bigint`)).toBe(1);
  });

  it('a regulator\'s floor yields like an analogy; the same floor written as law defers', async () => {
    const base = (await loadPolicies(PACK)).find((p) => p.id === 'sales-recordings')!;
    const variant = (kind: string) => parsePolicy(base.text.replace(/^ {2}kind: analogy.*$/m, `  kind: ${kind}`), base.file);
    for (const [kind, expected] of [['regulator', { destroyed: 1, deferred: 0 }], ['law', { destroyed: 0, deferred: 1 }]] as const) {
      const p = variant(kind);
      expect(p.minimum!.kind).toBe(kind);
      const only = (await buildRuleset(t.db, [p], PACK_STORES)).ruleset;
      const subject = await customer(`客户${kind}`);
      await recording(subject, 30);
      const id = await recordErasureRequest(ctx, only, 15, { subject, ticket: `FK-${kind}`, actor: 'operator:test' });
      await executeErasure(ctx, only, id, { batchSize: 100 });
      const view = (await getErasureRequest(t.db, id, NOW))!;
      expect(view.policies.find((x) => x.policy === 'sales-recordings'), kind).toMatchObject(expected);
    }
  });
});
