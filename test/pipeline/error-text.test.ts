// Issue #12, item 5, as it broke: a lender trigger refusing a delete with
// `RAISE EXCEPTION 'cannot delete applicant % mobile %'` put the applicant's name and phone
// number into the worker log, lethe.batches.error and the Redis job's failedReason. Text lethe
// does not control is now withheld everywhere an error is logged or stored: only the SQLSTATE,
// the constraint or table and a generic message remain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, redisDump, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { systemClock } from '../../src/clock.ts';
import { rows } from '../../src/db/sql.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { registry } from '../../jobs/index.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));

describe('an error raised by a lender trigger with personal data in it', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await createTestDb('errortext');
    q = createQueuePrefix('errortext');
    await seedSmallLender(t.db, new Date());
    // What a lender's own audit trigger might do: refuse, and say whom it refused for.
    await t.db.execute(sql.raw(`
      CREATE FUNCTION refuse_applicant_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE c customers;
      BEGIN
        SELECT * INTO c FROM customers WHERE id = OLD.customer_id;
        RAISE EXCEPTION 'cannot delete applicant % mobile %', c.full_name, c.phone;
      END $$;
      CREATE TRIGGER refuse_applicant_delete BEFORE DELETE ON loan_applications FOR EACH ROW EXECUTE FUNCTION refuse_applicant_delete();`));
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('reaches no log line, no Redis key or value and no lethe table: only the SQLSTATE and a generic message', async () => {
    const cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));
    const rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    const result = await sweep({ db: t.db, keys: deriveKeys(cfg.secret!), clock: systemClock, log }, rules, cfg, registry, { actor: 'operator:test', reconcileGraceMs: 60_000 });
    expect(result.policies.find((p) => p.id === 'rejected-loan-applications')!.failed).toBeGreaterThan(0);

    const [batch] = await rows<{ error: string }>(t.db, sql`SELECT error FROM lethe.batches WHERE status = 'failed' AND policy_id = 'rejected-loan-applications'`);
    expect(batch!.error).toMatch(/^PostgreSQL error P0001: message withheld: raised by a trigger or function in the database/);
    expect(logs.join('\n')).toContain('P0001');
    const redis = await redisDump(q.prefix);
    expect(redis).toContain('PostgreSQL error P0001');

    const lethe = (await rows<{ t: string }>(t.db, sql`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'lethe'`)).map((r) => r.t);
    let stored = '';
    for (const table of lethe) {
      stored += (await rows<{ r: string }>(t.db, sql`SELECT x::text AS r FROM ${sql.identifier('lethe')}.${sql.identifier(table)} x`)).map((r) => r.r).join('\n');
    }
    for (const value of ['张伟', '13800138000', 'cannot delete applicant']) {
      expect(logs.join('\n'), `log: ${value}`).not.toContain(value);
      expect(redis, `redis: ${value}`).not.toContain(value);
      expect(stored, `lethe tables: ${value}`).not.toContain(value);
    }
  }, 120_000);
});
