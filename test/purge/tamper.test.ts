// Issue #12, item 3, as it broke: a manual purge's plan lives in lethe's tables next to an
// unkeyed SHA-256 of it. Whoever could write those tables added other customers' keys to
// lethe.purge_request_items, recomputed the hash, and the approved subject purge destroyed
// those customers' records, due or not. The hash is now keyed (LETHE_SECRET), and execution
// re-checks each record against the request's target, so even a plan rewritten by someone who
// holds the secret, or keys slipped into an approved batch, destroy no one else's records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, count, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { parseDuration } from '../../src/duration.ts';
import { rows } from '../../src/db/sql.ts';
import { approvePurge, requestPurge, type PurgeView } from '../../src/purge/requests.ts';
import * as purgePlan from '../../src/purge/plan.ts';
import { purgeBatch } from '../../src/destroy/purge.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const DAY = 86_400_000;
const TTL = parseDuration('PT24H')!;
const ids = (list: string[]) => sql`id = ANY(${sql.param(list)}::bigint[])`;

describe('a manual purge plan rewritten in lethe\'s tables', () => {
  let t: TestDb;
  let rules: Ruleset;
  let lender: SmallLender;
  /** Another customer: due and not-yet-due rejected applications. */
  const other = { due: [] as string[], fresh: [] as string[] };
  const keys = deriveKeys(TEST_SECRET);
  const ctx: () => EngineContext = () => ({ db: t.db, keys, clock: fixedClock(NOW), log: silentLogger });

  beforeAll(async () => {
    t = await createTestDb('tamper');
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    const [c] = await rows<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at) VALUES ('钱进', '北京', ${NOW}) RETURNING id::text`);
    for (const [days, list] of [[40, other.due], [41, other.due], [5, other.fresh], [6, other.fresh], [7, other.fresh]] as const) {
      const [a] = await rows<{ id: string }>(t.db, sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
        VALUES (${c!.id}, 'rejected', 1, ${new Date(NOW.getTime() - (days + 2) * DAY)}, ${new Date(NOW.getTime() - days * DAY)}) RETURNING id::text`);
      list.push(a!.id);
    }
  });
  afterAll(async () => t.drop());

  /** What the attacker does: adds the other customer's applications to the stored plan. */
  async function plant(v: PurgeView, keysToAdd: string[]): Promise<{ policyId: string; keys: string[] }[]> {
    await t.db.execute(sql`INSERT INTO lethe.purge_request_items (request_id, policy_id, record_key)
      SELECT ${v.id}, 'rejected-loan-applications', k FROM unnest(${sql.param(keysToAdd)}::text[]) AS k`);
    return rows<{ policyId: string; keys: string[] }>(t.db, sql`SELECT policy_id AS "policyId", array_agg(record_key ORDER BY record_key) AS keys
      FROM lethe.purge_request_items WHERE request_id = ${v.id} GROUP BY policy_id`);
  }
  const storeHash = (v: PurgeView, hash: string) => t.db.execute(sql`UPDATE lethe.purge_requests SET plan_hash = ${hash} WHERE id = ${v.id}`);

  /** The plan hash as it was: SHA-256 over the policy versions and keys, no key. */
  function unkeyedHash(policies: { id: string; version: string }[], items: { policyId: string; keys: string[] }[]): string {
    const h = createHash('sha256');
    for (const p of [...policies].sort((a, b) => a.id.localeCompare(b.id))) h.update(`policy ${p.id} ${p.version}\n`);
    for (const i of [...items].sort((a, b) => a.policyId.localeCompare(b.policyId))) for (const k of [...i.keys].sort()) h.update(`${i.policyId} ${k}\n`);
    return h.digest('hex');
  }

  const all = () => [...other.due, ...other.fresh];
  const execute = async (v: PurgeView) => {
    const { batchIds } = await approvePurge(ctx(), { id: v.id, approver: 'operator:bob' }, 3);
    for (const b of batchIds) await purgeBatch(ctx(), rules, b);
  };

  it('with the hash recomputed without the secret, the approval is refused and nothing is destroyed', async () => {
    const v = await requestPurge(ctx(), rules, { target: { kind: 'subject', subject: lender.customers.plain }, reason: 'court order', requestedBy: 'operator:alice', ttl: TTL });
    const items = await plant(v, all());
    await storeHash(v, unkeyedHash(v.plan.policies, items));
    await expect(approvePurge(ctx(), { id: v.id, approver: 'operator:bob' }, 3)).rejects.toThrow(/does not match its hash/);
    expect(await count(t.db, 'loan_applications', ids(all()))).toBe(all().length);
    expect(await count(t.db, 'loan_applications', ids(lender.dueApps))).toBe(lender.dueApps.length);
    expect(await count(t.db, 'lethe.batches')).toBe(0);
  });

  it('a subject purge rewritten by someone holding the secret still destroys only that subject\'s records', async () => {
    const v = await requestPurge(ctx(), rules, { target: { kind: 'subject', subject: lender.customers.plain }, reason: 'court order', requestedBy: 'operator:alice', ttl: TTL });
    const items = await plant(v, all());
    await storeHash(v, purgePlan.planHash(keys, purgePlan.targetText(keys, { kind: 'subject', subject: lender.customers.plain }), v.plan.policies, items));
    await execute(v);
    expect(await count(t.db, 'loan_applications', ids(all()))).toBe(all().length);
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${lender.customers.plain} AND status = 'rejected'`)).toBe(0);
    const ev = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence WHERE fields->>'purge_request' = ${v.id} AND "table" = 'public.loan_applications'`);
    expect(Number(ev[0]!.n)).toBe(lender.dueApps.length + lender.freshApps.length);
  });

  it('a policy purge destroys only records still due, whatever was added to its plan or its batches', async () => {
    const v = await requestPurge(ctx(), rules, { target: { kind: 'policy', policyId: 'rejected-loan-applications' }, reason: 'backlog', requestedBy: 'operator:alice', ttl: TTL });
    expect(v.plan.total).toBe(other.due.length + lender.heldApps.length);
    const items = await plant(v, other.fresh.slice(0, 2));
    await storeHash(v, purgePlan.planHash(keys, purgePlan.targetText(keys, { kind: 'policy', policyId: 'rejected-loan-applications' }), v.plan.policies, items));
    const { batchIds } = await approvePurge(ctx(), { id: v.id, approver: 'operator:bob' }, 3);
    // And after approval, straight into a pending batch.
    await t.db.execute(sql`UPDATE lethe.batches SET keys = array_append(keys, ${other.fresh[2]!}) WHERE id = ${batchIds[0]!}::uuid`);
    for (const b of batchIds) await purgeBatch(ctx(), rules, b);
    expect(await count(t.db, 'loan_applications', ids(other.fresh))).toBe(other.fresh.length);
    // What the plan rightly held, due and unheld here, went.
    expect(await count(t.db, 'loan_applications', ids([...other.due, ...lender.heldApps]))).toBe(0);
  });
});
