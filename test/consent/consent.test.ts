// consent_withdrawn: marketing data goes `retain` (P2D here) after the withdrawal, not before;
// a re-granted consent cancels; a pushed withdrawal triggers a scan of that subject only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, testConfig, waitFor, type TestDb } from '../helpers.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock, systemClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { consentWithdrawn } from '../../src/consent/events.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';
import { startWorkers } from '../../src/pipeline/workers.ts';
import { UsageError } from '../../src/errors.ts';
import { rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import type { Db } from '../../src/db/connect.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const DAY = 86_400_000;

async function customerWithProfile(db: Db, name: string, consents: { withdrawnAt: Date | null }[]): Promise<string> {
  const [{ id }] = await rows<{ id: string }>(db, sql`INSERT INTO customers (full_name, city, created_at)
    VALUES (${name}, '深圳', now() - interval '400 days') RETURNING id::text`) as [{ id: string }];
  await db.execute(sql`INSERT INTO marketing_profiles (customer_id, phone, email, segment, created_at, updated_at)
    VALUES (${id}, '13700000000', 'm@qq.com', '新客', now(), now())`);
  for (const c of consents) {
    await db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at, withdrawn_at)
      VALUES (${id}, 'marketing', now() - interval '300 days', ${c.withdrawnAt})`);
  }
  return id;
}

const profiles = (db: Db, customer: string) => count(db, 'marketing_profiles', sql`customer_id = ${customer}`);

describe('consent withdrawal', () => {
  let t: TestDb;
  let rules: Ruleset;
  const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);

  beforeAll(async () => {
    t = await createTestDb('consent');
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
  });
  afterAll(async () => t.drop());

  it('deletes after the grace period and not before; a re-grant cancels', async () => {
    const now = new Date();
    const recent = await customerWithProfile(t.db, '甲', [{ withdrawnAt: new Date(now.getTime() - 1 * DAY) }]);
    const regranted = await customerWithProfile(t.db, '乙', [{ withdrawnAt: new Date(now.getTime() - 5 * DAY) }, { withdrawnAt: null }]);
    const consenting = await customerWithProfile(t.db, '丙', [{ withdrawnAt: null }]);
    const old = await customerWithProfile(t.db, '丁', [{ withdrawnAt: new Date(now.getTime() - 10 * DAY) }]);
    const ctx = (at: Date): EngineContext => ({ db: t.db, keys, clock: fixedClock(at), log: silentLogger });

    await sweepInline(ctx(now), rules);
    expect(await profiles(t.db, old)).toBe(0);
    expect(await profiles(t.db, recent)).toBe(1);
    expect(await profiles(t.db, regranted)).toBe(1);
    expect(await profiles(t.db, consenting)).toBe(1);

    await sweepInline(ctx(new Date(now.getTime() + 1.5 * DAY)), rules);
    expect(await profiles(t.db, recent)).toBe(0);
    expect(await profiles(t.db, regranted)).toBe(1);
    expect(await profiles(t.db, consenting)).toBe(1);
    const triggers = await rows<{ trigger: string }>(t.db, sql`SELECT DISTINCT trigger FROM lethe.evidence WHERE "table" = 'public.marketing_profiles'`);
    expect(triggers).toEqual([{ trigger: 'consent_withdrawn' }]);
  });

  it('a pushed withdrawal scans that subject at the end of the grace period, and only that subject', async () => {
    const q = createQueuePrefix('consent');
    const config = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    const connection = redisConnection(config.redisUrl);
    const queues = new Queues(connection, q.prefix);
    const ctx: EngineContext = { db: t.db, keys, clock: systemClock, log: silentLogger };
    const workers = startWorkers({ ...ctx, rules, config, enqueue: queues.enqueue }, registry,
      { connection, prefix: q.prefix, queues: ['scan', 'purge'], concurrency: 1 });
    try {
      const now = Date.now();
      // Both withdrew long enough ago; only the pushed one is scanned now.
      const pushed = await customerWithProfile(t.db, '戊', [{ withdrawnAt: new Date(now - 3 * DAY) }]);
      const notPushed = await customerWithProfile(t.db, '己', [{ withdrawnAt: new Date(now - 3 * DAY) }]);
      // Due in ~2 s; re-granted before then.
      const soon = new Date(now - 2 * DAY + 2000);
      const regrants = await customerWithProfile(t.db, '庚', [{ withdrawnAt: soon }]);
      const deps = { ctx, rules, config, enqueue: queues.enqueue };

      const result = await consentWithdrawn(deps, { subject: pushed, purpose: 'marketing', withdrawnAt: new Date(now - 3 * DAY) });
      expect(result.policies).toEqual([{ id: 'marketing-profiles', due_at: new Date(now - 1 * DAY).toISOString() }]);
      await consentWithdrawn(deps, { subject: regrants, purpose: 'marketing', withdrawnAt: soon });
      await t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at) VALUES (${regrants}, 'marketing', now())`);

      await waitFor(async () => (await profiles(t.db, pushed)) === 0, 20_000, 'the pushed subject\'s profile to go');
      await waitFor(async () => (await count(t.db, 'lethe.scans', sql`mode = 'subject' AND status <> 'done'`)) === 0, 20_000, 'the delayed scan to run');
      expect(await profiles(t.db, notPushed)).toBe(1);
      expect(await profiles(t.db, regrants)).toBe(1);
      await expect(consentWithdrawn(deps, { subject: pushed, purpose: 'newsletter' })).rejects.toThrow(UsageError);
      await expect(consentWithdrawn(deps, { subject: pushed, purpose: 'newsletter' })).rejects.toThrow('no loaded policy acts on a withdrawal of consent for purpose "newsletter"; purposes with policies: marketing');
    } finally {
      await workers.close();
      await queues.close();
      connection.disconnect();
      await q.cleanup();
    }
  });
});
