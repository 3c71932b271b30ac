// Issue #12, item 4, as it broke: a policy on lethe.holds passed `policies check --db` and a
// sweep anonymised every hold's subject ref, silently lifting all holds; one on
// lethe.api_tokens locked everyone out. Such a policy is now refused by `policies check --db`
// (exit 2, file:line:col), and a sweep or worker loaded with it stops before destroying anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { runCli } from '../cli/run-cli.ts';
import { rows } from '../../src/db/sql.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { addHold } from '../../src/holds/holds.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { systemClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';

const LIFT_HOLDS = `id: lift-holds
title: t
category: c
classification: C2
basis: [law]
source:
  table: lethe.holds
  key: id
  subject: placed_by
trigger: { kind: expiry, from: placed_at }
retain: P0D
action:
  anonymise:
    subject_ref: hmac
`;

const LOCK_OUT = `id: lock-out
title: t
category: c
classification: C2
basis: [law]
source: { table: lethe.api_tokens, key: id, subject: name }
trigger: { kind: expiry, from: created_at }
retain: P0D
action: delete
`;

describe('a policy pointing at lethe\'s own tables', () => {
  let t: TestDb;
  let dir: string;
  let env: Record<string, string>;
  const q = createQueuePrefix('forbidden');
  const holdRefs = async () => rows<{ id: string; subject_ref: string }>(t.db, sql`SELECT id, subject_ref FROM lethe.holds ORDER BY id`);

  beforeAll(async () => {
    t = await createTestDb('forbidden');
    const lender = await seedSmallLender(t.db, new Date());
    const rules = (await buildRuleset(t.db, await loadPolicies('test/fixtures/retention'))).ruleset;
    await addHold({ db: t.db, keys: deriveKeys(TEST_SECRET), clock: systemClock, log: silentLogger }, rules, { subject: lender.customers.held, reason: 'court order', actor: 'operator:legal' });
    await createToken(t.db, { name: 'ci-bot', role: 'operator', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'lethe-forbidden-'));
    writeFileSync(join(dir, 'lift-holds.yaml'), LIFT_HOLDS);
    writeFileSync(join(dir, 'lock-out.yaml'), LOCK_OUT);
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: dir, LETHE_QUEUE_PREFIX: q.prefix, LETHE_OPERATOR: 'li.lei', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await q.cleanup();
    await t.drop();
  });

  it('policies check --db refuses it with exit 2 and file:line:col', async () => {
    const r = await runCli(['policies', 'check', '--db'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'lift-holds.yaml')}:7:10: source.table: lethe.holds is in schema lethe, which belongs to lethe itself`);
    expect(r.stderr).toContain(`${join(dir, 'lock-out.yaml')}:6:18: source.table: lethe.api_tokens is in schema lethe`);
  });

  it('a sweep or a worker loaded with it destroys nothing: holds and tokens stay', async () => {
    const before = await holdRefs();
    const sweep = await runCli(['sweep'], env);
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toContain('lethe.holds is in schema lethe');
    const worker = await runCli(['worker'], env, { timeoutMs: 60_000 });
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain('lethe.api_tokens is in schema lethe');
    expect(await holdRefs()).toEqual(before);
    expect(before).toHaveLength(1);
    expect((await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.api_tokens`))[0]!.n).toBe('1');
    expect((await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence`))[0]!.n).toBe('0');
  });
});
