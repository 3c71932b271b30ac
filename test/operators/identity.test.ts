// Issue #12, item 2: four eyes compared raw strings, so `WANG.LI`, `operator:wang.li`, a token
// named `Wang.Li`, full-width letters, a Cyrillic look-alike or a zero-width space let one person
// approve their own purge or task. One comparison now decides who is who everywhere, and names
// that only look like someone's are refused where they are given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { count, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { seedPaperArchive } from '../fixtures/paper-archive.ts';
import { runCli } from '../cli/run-cli.ts';
import { operatorKey, operatorNameProblem, samePerson } from '../../src/operators/identity.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { parseDuration } from '../../src/duration.ts';
import { loadConfig } from '../../src/config.ts';
import { approvePurge, requestPurge } from '../../src/purge/requests.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { createRun, createScan } from '../../src/pipeline/runs.ts';
import { openTasksForScan } from '../../src/tasks/open.ts';
import { approveTask, confirmTask, handOverTask } from '../../src/tasks/steps.ts';
import { ConfigError, UsageError } from '../../src/errors.ts';
import type { EngineContext } from '../../src/engine.ts';

const NOW = new Date('2026-11-20T08:00:00Z');
const CYRILLIC_A = '\u0430';
const ZWSP = '\u200b';
/** Ways of writing wang.li that people (or an attacker) type and that are wang.li. */
const SAME = ['WANG.LI', 'Wang.Li', 'operator:wang.li', 'token:wang.li', 'token:Wang.Li', '\uff57\uff41\uff4e\uff47.\uff4c\uff49', ' wang.li ', 'OPERATOR: wang.li'];

describe('operator identity', () => {
  it('one person however written: case, width, prefixes and surrounding space aside', () => {
    for (const s of SAME) expect(samePerson('operator:wang.li', s), s).toBe(true);
    expect(samePerson('straße', 'STRASSE')).toBe(true);
    expect(samePerson('wang.li', 'wang.lin')).toBe(false);
    expect(samePerson('王丽', '王莉')).toBe(false);
    expect(operatorKey('token:Wang.Li')).toBe('wang.li');
  });

  it('refuses names with invisible or control characters, or scripts mixed as a look-alike is', () => {
    for (const bad of [`w${CYRILLIC_A}ng.li`, `wang${ZWSP}.li`, 'wang.li\u202e', 'wang\u00ad.li', 'wang\tli', 'παul', '']) {
      expect(operatorNameProblem(bad), JSON.stringify(bad)).toBeDefined();
    }
    for (const good of ['wang.li', '王丽', '陈杰 (ShredCo)', 'zhao.min@lender', 'Ιωάννης', 'Иван', '田中さん', '김민수 kim']) {
      expect(operatorNameProblem(good), good).toBeUndefined();
    }
  });

  it('LETHE_OPERATOR with a look-alike or an invisible character stops the program before it touches anything', () => {
    for (const bad of [`w${CYRILLIC_A}ng.li`, `wang${ZWSP}.li`]) {
      expect(() => loadConfig({}, { LETHE_OPERATOR: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({}, { LETHE_OPERATOR: bad }), bad).toThrow(/^LETHE_OPERATOR /);
    }
    expect(loadConfig({}, { LETHE_OPERATOR: 'wang.li' }).operator).toBe('wang.li');
  });
});

describe('four eyes with one identity', () => {
  let t: TestDb;
  let ctx: EngineContext;

  beforeAll(async () => {
    t = await createTestDb('identity');
    ctx = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(new Date()), log: silentLogger };
    await seedSmallLender(t.db, new Date());
  });
  afterAll(async () => t.drop());

  it('a purge is never approved by its requester under another spelling, nor across CLI and API', async () => {
    const rules = (await buildRuleset(t.db, await loadPolicies('test/fixtures/retention'))).ruleset;
    const request = (by: string) => requestPurge(ctx, rules, { target: { kind: 'policy', policyId: 'rejected-loan-applications' }, reason: 'INC-2', requestedBy: by, ttl: parseDuration('PT1H')! });
    const byCli = await request('operator:wang.li');
    for (const approver of ['operator:WANG.LI', 'operator:Wang.Li', 'token:wang.li', 'operator:operator:wang.li', 'operator:\uff57\uff41\uff4e\uff47.\uff4c\uff49']) {
      await expect(approvePurge(ctx, { id: byCli.id, approver }, 100), approver).rejects.toThrow(/four eyes/);
    }
    // An API request by token wang.li is not approved by CLI operator wang.li either.
    const byApi = await request('token:wang.li');
    await expect(approvePurge(ctx, { id: byApi.id, approver: 'operator:wang.li' }, 100)).rejects.toThrow(/four eyes/);
    expect(await count(t.db, 'lethe.batches')).toBe(0);
    await approvePurge(ctx, { id: byApi.id, approver: 'operator:zhao.min' }, 100);
    expect(await count(t.db, 'lethe.batches')).toBeGreaterThan(0);
  });

  it('two tokens cannot share a name under the comparison; a look-alike name is refused', async () => {
    await createToken(t.db, { name: 'wang.li', role: 'operator', actor: 'test' });
    for (const name of ['Wang.Li', 'WANG.LI', '\uff57\uff41\uff4e\uff47.\uff4c\uff49']) {
      await expect(createToken(t.db, { name, role: 'approver', actor: 'test' }), name).rejects.toThrow(/the same name as/);
    }
    await expect(createToken(t.db, { name: `w${CYRILLIC_A}ng.li`, role: 'approver', actor: 'test' })).rejects.toThrow(/mixes scripts/);
    expect(await count(t.db, 'lethe.api_tokens', sql`revoked_at IS NULL`)).toBe(1);
  });

  it('on the command line: WANG.LI cannot approve wang.li\'s request; a Cyrillic or zero-width LETHE_OPERATOR exits 2', async () => {
    const env = (operator: string) => ({ DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: 'test/fixtures/retention', LETHE_OPERATOR: operator, LOG_LEVEL: 'warn' });
    const asked = await runCli(['purge', 'request', '--policy', 'rejected-loan-applications', '--reason', 'INC-3', '--json'], env('wang.li'));
    expect(asked.code, asked.stderr).toBe(0);
    const id = (JSON.parse(asked.stdout) as { id: string }).id;
    const self = await runCli(['purge', 'approve', id], env('WANG.LI'));
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('four eyes');
    for (const bad of [`w${CYRILLIC_A}ng.li`, `wang${ZWSP}.li`]) {
      const r = await runCli(['purge', 'approve', id], env(bad));
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/LETHE_OPERATOR (mixes scripts|contains an invisible)/);
    }
    const [status] = await t.db.execute(sql`SELECT status FROM lethe.purge_requests WHERE id = ${id}`).then((r) => (r as unknown as { rows: { status: string }[] }).rows);
    expect(status!.status).toBe('pending');
  });
});

describe('destruction tasks with one identity', () => {
  let t: TestDb;

  beforeAll(async () => {
    t = await createTestDb('identitytasks');
    await seedPaperArchive(t.db, NOW);
  });
  afterAll(async () => t.drop());

  it('the opener cannot approve, the executor cannot witness, under any spelling; look-alike names are refused', async () => {
    const rules = (await buildRuleset(t.db, await loadPolicies(fileURLToPath(new URL('../fixtures/paper-policies', import.meta.url))))).ruleset;
    const ctx: EngineContext = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(NOW), log: silentLogger };
    const p = rules.get('paper-loan-applications')!;
    const runId = await createRun(t.db, { kind: 'sweep', trigger: 'expiry', actor: 'operator:wang.li', at: NOW });
    const [task] = (await openTasksForScan(ctx, rules, await createScan(t.db, runId, p, NOW), parseDuration('P30D')!)).tasks;
    const id = task!;
    await expect(approveTask(ctx, rules, id, 'token:Wang.Li')).rejects.toThrow(/four eyes/);
    await expect(approveTask(ctx, rules, id, 'operator:\uff57\uff41\uff4e\uff47.\uff4c\uff49')).rejects.toThrow(/four eyes/);
    await approveTask(ctx, rules, id, 'operator:zhao.min');
    await expect(handOverTask(ctx, rules, id, 'operator:zhao.min', { executor: `chen.ji${ZWSP}e` })).rejects.toThrow(UsageError);
    await expect(handOverTask(ctx, rules, id, 'operator:zhao.min', { executor: `chen.ji${CYRILLIC_A}` })).rejects.toThrow(/mixes scripts/);
    await handOverTask(ctx, rules, id, 'operator:zhao.min', { executor: 'chen.jie' });
    // The executor, written another way, as witness: still the executor alone.
    await expect(confirmTask(ctx, rules, id, 'token:CHEN.JIE', { executor: 'chen.jie', witness: 'CHEN.JIE' })).rejects.toThrow(/witness must be someone other than the executor/);
    await expect(confirmTask(ctx, rules, id, 'operator:sun.li', { executor: 'chen.jie', witness: `sun.l${ZWSP}i` })).rejects.toThrow(UsageError);
    const done = await confirmTask(ctx, rules, id, 'token:Sun.Li', { executor: 'Chen.Jie', witness: 'sun.li' });
    expect(done.status).toBe('confirmed');
  });
});
