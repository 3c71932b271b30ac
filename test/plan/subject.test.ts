// A subject's records are found through the subject column's index, in the column's own type;
// an id the type cannot hold matches nothing in the scan, and the plan refuses it outright.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { plan } from '../../src/plan/plan.ts';
import { sourceTable, subjectIs } from '../../src/destroy/predicates.ts';
import { rows } from '../../src/db/sql.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import { UsageError } from '../../src/errors.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/pipeline', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');

describe('plan and scans for one subject', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  let lender: SmallLender;

  beforeAll(async () => {
    t = await createTestDb('subject');
    const cfg = testConfig(t);
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
  });
  afterAll(async () => {
    await t.drop();
  });

  const dueOf = async (subject: string) =>
    Object.fromEntries((await plan(ctx, rules, { now: NOW, subject })).map((p) => [p.id, p.due]));

  it('counts only that subject\'s records', async () => {
    expect((await dueOf(lender.customers.plain))['rejected-loan-applications']).toBe(lender.dueApps.length);
    expect((await dueOf(lender.customers.held))['rejected-loan-applications']).toBe(lender.heldApps.length);
    expect((await dueOf(lender.customers.ended))['customer-anonymise']).toBe(1);
  });

  it('refuses ids no subject column can hold, instead of answering "nothing due"; the predicate matches nothing for them', async () => {
    const p = rules.get('rejected-loan-applications')!;
    for (const id of ['abc', '12.5', '99999999999999999999', "1'; DROP TABLE customers; --", '']) {
      await expect(dueOf(id), id).rejects.toThrow(UsageError);
      const [r] = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM ${sourceTable(p)} t WHERE ${subjectIs(p, id, 'bigint')}`);
      expect(r!.n, id).toBe('0');
    }
  });

  it('reaches the rows through the subject column\'s index', async () => {
    const p = rules.get('rejected-loan-applications')!;
    // Five rows would be read sequentially anyway: forbid that, so only an index can answer.
    const explained = await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      return (await rows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN SELECT count(*) FROM ${sourceTable(p)} t
        WHERE ${subjectIs(p, lender.customers.plain, 'bigint')}`)).map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(explained).toMatch(/Index Cond: \(customer_id = /);
  });
});
