// The post-destruction check on a real database: triggers bring destroyed records back (a
// re-inserted row, a child row re-inserted, an anonymisation undone) and the check must say so
// with a verify_failed evidence record, an error log without values, and the metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { sql } from 'drizzle-orm';
import { createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys, recordRef } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { rows } from '../../src/db/sql.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { collectMetrics } from '../../src/metrics/collect.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const RETENTION = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');
const DAY = 86_400_000;

interface Failed extends Record<string, unknown> { policy_id: string; table: string; record_ref: string; subject_ref: string | null; fields: Record<string, string>; actor: string }

describe('post-destruction check', () => {
  let t: TestDb;
  let lender: SmallLender;
  let rules: Ruleset;
  const logLines: string[] = [];
  const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
  const log = pino({ level: 'error' }, { write: (s: string) => void logLines.push(s) });
  const ctx = (): EngineContext => ({ db: t.db, keys, clock: fixedClock(NOW), log });
  const failed = (policy: string) => rows<Failed>(t.db, sql`SELECT policy_id, "table", record_ref, subject_ref, fields, actor
    FROM lethe.evidence WHERE action = 'verify_failed' AND policy_id = ${policy} ORDER BY seq`);
  const metric = async (policy: string): Promise<number> => {
    const text = (await collectMetrics(t.db, NOW)).text;
    const m = new RegExp(`^lethe_verify_failed\\{policy="${policy}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  beforeAll(async () => {
    t = await createTestDb('postcheck');
    lender = await seedSmallLender(t.db, NOW);
    rules = (await buildRuleset(t.db, await loadPolicies(RETENTION))).ruleset;
  });
  afterAll(async () => t.drop());

  it('catches a row a trigger re-inserts after its delete, with evidence, a log line and the metric', async () => {
    // What a careless sync job or audit trigger does: put the deleted row straight back.
    await t.db.execute(sql.raw(`CREATE FUNCTION kyc_resurrect() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO kyc_records SELECT OLD.*; RETURN OLD; END $$;
      CREATE TRIGGER kyc_resurrect AFTER DELETE ON kyc_records FOR EACH ROW EXECUTE FUNCTION kyc_resurrect()`));
    expect(await metric('kyc-records')).toBe(0);
    await sweepInline(ctx(), rules);

    // The delete was recorded (it did happen) and the row is back.
    const [old] = lender.kycOld;
    expect(await count(t.db, 'kyc_records', sql`id = ${old}`)).toBe(1);
    const ref = recordRef(keys, 'public.kyc_records', old!);
    expect(await count(t.db, 'lethe.evidence', sql`action = 'delete' AND record_ref = ${ref}`)).toBe(1);
    const f = await failed('kyc-records');
    expect(f).toHaveLength(lender.kycOld.length);
    expect(f[0]).toMatchObject({ table: 'public.kyc_records', record_ref: ref, actor: 'lethe:post-check' });
    expect(f[0]!.fields).toMatchObject({ check: 'post-destruction', expected: 'deleted' });
    // Only the records that came back: the other policies' destructions held.
    expect(await count(t.db, 'lethe.evidence', sql`action = 'verify_failed' AND policy_id <> 'kyc-records'`)).toBe(0);

    expect(await metric('kyc-records')).toBe(lender.kycOld.length);
    const v = await verifyEvidence(t.db, keys);
    expect(v).toMatchObject({ ok: true, first_broken: null });

    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.policy === 'kyc-records');
    expect(line).toMatchObject({ level: 50, table: 'public.kyc_records', survivors: lender.kycOld.length, records: [ref] });
    // Pseudonyms only: no key, name or number of the record in any log line.
    for (const value of [old!, '310101198807141234', '张伟']) expect(logLines.join('\n')).not.toContain(value);
    await t.db.execute(sql.raw('DROP TRIGGER kyc_resurrect ON kyc_records'));
  });

  it('catches an anonymisation a trigger undid: the row still matches the pending predicate', async () => {
    await t.db.execute(sql.raw(`CREATE FUNCTION keep_phone() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.phone := OLD.phone; RETURN NEW; END $$;
      CREATE TRIGGER keep_phone BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION keep_phone()`));
    // 300 days on, the customer whose relationship ended 100 days before NOW is due (P1Y).
    await sweepInline({ ...ctx(), clock: fixedClock(new Date(NOW.getTime() + 300 * DAY)) }, rules);
    const f = await failed('customer-anonymise');
    const ref = recordRef(keys, 'public.customers', lender.customers.endedRecently);
    expect(f.map((r) => r.record_ref)).toEqual([ref]);
    expect(f[0]!.fields).toMatchObject({ expected: 'anonymised' });
    // The columns the trigger did not protect were anonymised all the same.
    expect(await count(t.db, 'customers', sql`id = ${lender.customers.endedRecently} AND full_name = '***' AND phone IS NOT NULL`)).toBe(1);
    await t.db.execute(sql.raw('DROP TRIGGER keep_phone ON customers'));
  });

  it('catches a child row that comes back, and says nothing when every destruction held', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lethe-postcheck-'));
    try {
      // No foreign key between them: nothing but the check would notice the child's return.
      await t.db.execute(sql.raw(`CREATE TABLE pc_parents (id bigint PRIMARY KEY, customer_id bigint NOT NULL, ended_at timestamptz);
        CREATE TABLE pc_children (id bigint PRIMARY KEY, parent_id bigint NOT NULL);
        INSERT INTO pc_parents VALUES (1, 11, '2025-01-01T00:00:00Z'), (2, 12, '2025-01-01T00:00:00Z');
        INSERT INTO pc_children VALUES (21, 1), (22, 1), (23, 2);
        CREATE FUNCTION child_back() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF OLD.id = 22 THEN INSERT INTO pc_children SELECT OLD.*; END IF; RETURN OLD; END $$;
        CREATE TRIGGER child_back AFTER DELETE ON pc_children FOR EACH ROW EXECUTE FUNCTION child_back()`));
      await writeFile(join(dir, 'pc-parents.yaml'), `id: pc-parents
title: test parents
category: test
classification: C2
basis: [test]
source: { table: pc_parents, key: id, subject: customer_id }
trigger: { kind: expiry, from: ended_at }
retain: P30D
action: delete
children:
  - { table: pc_children, key: id, foreign_key: parent_id }
`);
      const pcRules = (await buildRuleset(t.db, await loadPolicies(dir))).ruleset;
      await sweepInline(ctx(), pcRules);
      expect(await count(t.db, 'pc_parents')).toBe(0);
      const f = await failed('pc-parents');
      expect(f.map((r) => [r.table, r.record_ref])).toEqual([['public.pc_children', recordRef(keys, 'public.pc_children', '22')]]);
      expect(await metric('pc-parents')).toBe(1);

      // A sweep whose destructions all held adds nothing.
      await t.db.execute(sql.raw(`INSERT INTO pc_parents VALUES (3, 13, '2025-01-01T00:00:00Z'); INSERT INTO pc_children VALUES (31, 3)`));
      await sweepInline(ctx(), pcRules);
      expect(await count(t.db, 'pc_parents')).toBe(0);
      expect(await failed('pc-parents')).toHaveLength(1);
      expect(await verifyEvidence(t.db, keys)).toMatchObject({ ok: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
