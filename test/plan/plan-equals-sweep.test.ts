// Plan = sweep on data we did not hand-place: the reference lender with the shipped policy pack
// (delete, anonymise, consent, statutory floors, and paper boxes that go into destruction
// tasks), a legal hold, and two rounds. Per policy, what `plan` counts is what the sweep right
// after does; in the second round the boxes already in tasks are counted apart, not as due.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, testConfig, type TestDb } from '../helpers.ts';
import { seedLender } from '../../src/lender/seed.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { packStores } from '../fixtures/s3.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { plan, type PolicyCounts } from '../../src/plan/plan.ts';
import { addHold } from '../../src/holds/holds.ts';
import { one } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import type { Config } from '../../src/config.ts';

const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const KEYS = ['due', 'held', 'deferred', 'restricted', 'destroyed', 'anonymised', 'failed'] as const;
const PAPER = 'paper-loan-applications';

let t: TestDb;
let q: ReturnType<typeof createQueuePrefix>;
let cfg: Config;
let rules: Ruleset;
const now = new Date();

beforeAll(async () => {
  t = await createTestDb('plan_sweep');
  q = createQueuePrefix('plan-sweep');
  cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_BATCH_SIZE: '50' });
  await seedLender(t.db, { customers: 400, now, seed: 7 });
  rules = (await buildRuleset(t.db, await loadPolicies(PACK), packStores())).ruleset;
}, 120_000);
afterAll(async () => {
  await q?.cleanup();
  await t?.drop();
});

const pick = (c: PolicyCounts) => Object.fromEntries(KEYS.map((k) => [k, c[k]]));

describe('plan = sweep on the reference lender and the shipped pack', () => {
  it('per policy, two rounds; paper boxes already in tasks are counted apart', async () => {
    const ctx: EngineContext = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(now), log: silentLogger };
    // Hold a customer with due paper boxes and due rejected applications: held counts on both kinds.
    const held = await one<{ s: string }>(t.db, sql`SELECT b.customer_id::text AS s FROM paper_archive_boxes b
      JOIN loan_applications a ON a.customer_id = b.customer_id AND a.status = 'rejected'
      GROUP BY b.customer_id ORDER BY count(*) DESC, b.customer_id LIMIT 1`);
    await addHold(ctx, rules, { subject: held!.s, reason: 'litigation', actor: 'test' });

    const first = await plan(ctx, rules, { now });
    expect(first.find((p) => p.id === PAPER)!.due, 'the seed has paper boxes due').toBeGreaterThan(0);
    expect(first.reduce((a, p) => a + p.held, 0)).toBeGreaterThan(0);
    const swept = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    for (const p of first) expect(pick(swept.policies.find((s) => s.id === p.id)!), p.id).toEqual(pick(p));
    const tasked = swept.policies.find((s) => s.id === PAPER)!.tasked!;
    expect(tasked).toBe(first.find((p) => p.id === PAPER)!.due);

    // Round two: nothing new is due; the boxes the first sweep tasked wait for people.
    const second = await plan(ctx, rules, { now });
    expect(second.find((p) => p.id === PAPER)).toMatchObject({ due: 0, tasked });
    const again = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    for (const p of second) expect(pick(again.policies.find((s) => s.id === p.id)!), `round 2 ${p.id}`).toEqual(pick(p));
    expect(again.policies.find((s) => s.id === PAPER)).toMatchObject({ due: 0, tasked: 0 });
  }, 180_000);
});
