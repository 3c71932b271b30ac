import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from './run-cli.ts';
import { rows } from '../../src/db/sql.ts';

const NOW = new Date();

describe('lethe CLI', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let env: Record<string, string>;
  let lender: SmallLender;

  beforeAll(async () => {
    t = await createTestDb('cli');
    q = createQueuePrefix('cli');
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_OPERATOR: 'zhao.min', LOG_LEVEL: 'warn' };
    lender = await seedSmallLender(t.db, NOW);
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  describe('bad usage exits 2 with a message that says what and where', () => {
    it('unknown command', async () => {
      const r = await runCli(['destroy-everything']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('unknown command "destroy-everything"');
    });

    it('unknown flag names the flag and the allowed ones', async () => {
      const r = await runCli(['plan', '--everything'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--everything/);
      expect(r.stderr).toContain('Allowed flags: --policies, --policy, --json, --subject, --as-of');
    });

    it('a missing variable stops the program with one line naming it', async () => {
      const r = await runCli(['plan'], { LETHE_SECRET: TEST_SECRET });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('DATABASE_URL is not set');
    });

    it('a short secret is named but never printed', async () => {
      const r = await runCli(['plan'], { ...env, LETHE_SECRET: 'hunter2-hunter2' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('LETHE_SECRET must be at least 32 bytes');
      expect(r.stderr).not.toContain('hunter2');
    });

    it('a bad --as-of', async () => {
      const r = await runCli(['plan', '--as-of', 'tomorrow'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--as-of "tomorrow" is not an ISO 8601 date');
    });

    it('an unknown --policy lists the loaded ones', async () => {
      const r = await runCli(['sweep', '--policy', 'nope'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--policy "nope" is not a loaded policy; loaded: ');
    });
  });

  describe('malformed policies are rejected before anything is destroyed', () => {
    it('a bad duration: file:line:col, exit 2, nothing destroyed', async () => {
      const before = await count(t.db, 'loan_applications');
      const r = await runCli(['sweep'], { ...env, LETHE_POLICIES: 'test/fixtures/cli-bad-syntax' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/test\/fixtures\/cli-bad-syntax\/device-events\.yaml:13:9: .*"6 months".*ISO 8601/);
      expect(await count(t.db, 'loan_applications')).toBe(before);
      expect(await count(t.db, 'lethe.evidence')).toBe(0);
    });

    it('an unknown column: file:line:col from the catalog check, exit 2, nothing destroyed', async () => {
      const before = await count(t.db, 'loan_applications');
      const r = await runCli(['sweep'], { ...env, LETHE_POLICIES: 'test/fixtures/cli-unknown-column' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/device-events\.yaml:12:9: .*seen_at/);
      expect(await count(t.db, 'loan_applications')).toBe(before);
    });

    it('policies check without a database', async () => {
      const ok = await runCli(['policies', 'check', '--policies', 'test/fixtures/pipeline']);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('3 policies OK');
      const bad = await runCli(['policies', 'check', '--policies', 'test/fixtures/cli-bad-syntax']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('device-events.yaml:13:9');
    });
  });

  it('hold add on a subject with no record: placed all the same (holds may precede data), and said so', async () => {
    const r = await runCli(['hold', 'add', '--subject', '999999999', '--reason', 'court order 17', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const { id, subject_known } = JSON.parse(r.stdout) as { id: string; subject_known: boolean };
    expect(subject_known).toBe(false);
    expect(r.stderr).toContain('matches no record under any loaded policy now');
    expect(r.stderr).not.toContain('999999999');
    const known = await runCli(['hold', 'add', '--subject', lender.customers.plain, '--reason', 'court order 18', '--json'], env);
    expect(JSON.parse(known.stdout)).toMatchObject({ subject_known: true });
    expect(known.stderr).not.toContain('matches no record');
    for (const h of [id, (JSON.parse(known.stdout) as { id: string }).id]) {
      expect((await runCli(['hold', 'release', h, '--reason', 'test done'], env)).code).toBe(0);
    }
  });

  it('plan --json, hold, sweep --json, evidence verify/find: the operator flow', async () => {
    const hold = await runCli(['hold', 'add', '--subject', lender.customers.held, '--reason', 'court order', '--json'], env);
    expect(hold.code, hold.stderr).toBe(0);
    const { id } = JSON.parse(hold.stdout) as { id: string };
    const list = JSON.parse((await runCli(['hold', 'list', '--json'], env)).stdout) as { holds: { id: string; subject_ref: string; policy: string | null; reason: string; placed_at: string }[] };
    expect(list.holds).toEqual([expect.objectContaining({ id, policy: null, reason: 'court order' })]);
    expect(list.holds[0]!.subject_ref).toMatch(/^[0-9a-f]{64}$/);

    const planned = await runCli(['plan', '--json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as { policies: Record<string, unknown>[] };
    const rejected = plan.policies.find((p) => p.id === 'rejected-loan-applications')!;
    expect(rejected).toEqual({ id: 'rejected-loan-applications', action: 'delete', due: lender.dueApps.length, held: lender.heldApps.length, deferred: 0, restricted: 0, destroyed: lender.dueApps.length, anonymised: 0, failed: 0, floor: null });

    const swept = await runCli(['sweep', '--json'], env);
    expect(swept.code, swept.stderr).toBe(0);
    const result = JSON.parse(swept.stdout) as { policies: Record<string, unknown>[] };
    for (const p of plan.policies) {
      const s = result.policies.find((x) => x.id === p.id)!;
      for (const k of ['due', 'held', 'deferred', 'destroyed', 'anonymised', 'failed']) expect(s[k], `${String(p.id)}.${k}`).toBe(p[k]);
    }
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(lender.heldApps)}::bigint[])`)).toBe(lender.heldApps.length);

    const verify = await runCli(['evidence', 'verify', '--json'], env);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toEqual({ ok: true, records: await count(t.db, 'lethe.evidence'), first_broken: null });

    const found = await runCli(['evidence', 'find', '--subject', lender.customers.plain, '--json'], env);
    const records = (JSON.parse(found.stdout) as { records: unknown[] }).records;
    expect(records.length).toBe(lender.dueApps.length + lender.dueDocs.length + 1);

    const csv = await runCli(['evidence', 'export', '--format', 'csv'], env);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^seq,run_id,policy_id,policy_version,category,classification,trigger,action,table,record_ref,subject_ref,fields,partner,actor,occurred_at,prev_hash,hash/);
    expect(lines).toHaveLength(1 + await count(t.db, 'lethe.evidence'));

    // A superuser gets around the append-only trigger: verify names the altered record, exit 1.
    const victim = (await rows<{ seq: string }>(t.db, sql`SELECT seq::text FROM lethe.evidence ORDER BY seq OFFSET 2 LIMIT 1`))[0]!.seq;
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`UPDATE lethe.evidence SET action = 'anonymise' WHERE seq = ${victim}`);
    });
    const broken = await runCli(['evidence', 'verify', '--json'], env);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, first_broken: { seq: Number(victim) } });
    const human = await runCli(['evidence', 'verify'], env);
    expect(human.stdout).toContain(`evidence BROKEN at record seq ${victim}`);

    const released = await runCli(['hold', 'release', id, '--reason', 'case closed'], env);
    expect(released.code).toBe(0);
    const again = await runCli(['hold', 'release', id, '--reason', 'twice'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`hold ${id} was already released`);
  });
});
