// Whole partitions as an operator meets them: `policies check --db` warns while pg_partman's own
// retention would race lethe, `plan` shows what goes whole and what by batch, `sweep` drops it,
// and `evidence verify` / `evidence find` see the records as they see any batch's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { runCli } from './run-cli.ts';
import { rows } from '../../src/db/sql.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';

const POLICIES = 'test/fixtures/partitions';
const DAY_MS = 86_400_000;

describe('whole partitions through the CLI', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let env: Record<string, string>;
  let due: number;
  const held = '999000002';
  beforeAll(async () => {
    t = await createTestDb('partitions_cli');
    q = createQueuePrefix('partitions-cli');
    const now = new Date();
    await partitionedAccessLogs(t.db, { now, days: 36, perDay: 30, customers: 20 });
    await t.db.execute(sql`INSERT INTO access_logs (customer_id, actor, action, written_at) VALUES (${held}, 'agent', 'view', ${new Date(now.getTime() - 33 * DAY_MS)})`);
    due = await count(t.db, 'access_logs', sql`written_at <= now() - interval '30 days'`);
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: POLICIES,
      LOG_LEVEL: 'warn', LETHE_OPERATOR: 'dpo' };
  });
  afterAll(async () => {
    await q?.cleanup();
    await t?.drop();
  });

  it('policies check --db warns while pg_partman would drop or detach partitions itself, and not once retention is NULL', async () => {
    const check = () => runCli(['policies', 'check', '--db'], env);
    await t.db.execute(sql`UPDATE partman.part_config SET retention = '30 days', retention_keep_table = false WHERE parent_table = 'public.access_logs'`);
    let r = await check();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/access-logs\.yaml:\d+:\d+: warning: source\.table: pg_partman drops partitions of access_logs older than 30 days itself, with no evidence and through legal holds and statutory floors; hand retention to lethe: UPDATE partman\.part_config SET retention = NULL WHERE parent_table = 'public\.access_logs'/);
    await t.db.execute(sql`UPDATE partman.part_config SET retention_keep_table = true`);
    r = await check();
    expect(r.stderr).toMatch(/warning: source\.table: pg_partman detaches partitions of access_logs older than 30 days \(retention_keep_table\): their rows leave the table/);
    await t.db.execute(sql`UPDATE partman.part_config SET retention = NULL`);
    r = await check();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/pg_partman/);
  });

  it('plan shows partitions and rows to drop whole beside the rows that go by batch; a hold keeps its partition', async () => {
    const hold = await runCli(['hold', 'add', '--subject', held, '--reason', 'dispute', '--policy', 'access-logs'], env);
    expect(hold.code, hold.stderr).toBe(0);
    const r = await runCli(['plan', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const [p] = JSON.parse(r.stdout).policies;
    expect(p).toMatchObject({ id: 'access-logs', due: due - 1, held: 1 });
    expect(p.partitions.whole).toBeGreaterThan(2);
    expect(p.partitions.whole_rows + p.partitions.batch_rows).toBe(due - 1);
    const human = await runCli(['plan'], env);
    expect(human.stdout).toMatch(/partitions dropped whole\s+│?\s*their rows\s+│?\s*rows by batch/);
    expect(human.stdout).toContain('access-logs');
    const off = await runCli(['plan', '--json'], { ...env, LETHE_DROP_PARTITIONS: 'false' });
    expect(JSON.parse(off.stdout).policies[0].partitions).toBeUndefined();
  });

  it('sweep drops them, leaves the held row, and the evidence verifies and is found by subject', async () => {
    const leaves = await count(t.db, 'pg_catalog.pg_inherits', sql`inhparent = 'public.access_logs'::regclass`);
    const r = await runCli(['sweep', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).policies[0]).toMatchObject({ id: 'access-logs', destroyed: due - 1, held: 1 });
    expect(await count(t.db, 'access_logs', sql`written_at <= now() - interval '30 days'`)).toBe(1);
    const dropped = await count(t.db, 'lethe.evidence', sql`action = 'partition_dropped'`);
    expect(dropped).toBeGreaterThan(2);
    expect(await count(t.db, 'pg_catalog.pg_inherits', sql`inhparent = 'public.access_logs'::regclass`)).toBe(leaves - dropped);
    // pg_partman keeps making the coming partitions, and does not bring the dropped ones back.
    await t.db.execute(sql`SELECT partman.run_maintenance(p_parent_table := 'public.access_logs')`);
    expect(await count(t.db, 'pg_catalog.pg_inherits', sql`inhparent = 'public.access_logs'::regclass`)).toBeGreaterThanOrEqual(leaves - dropped);
    expect(await count(t.db, 'access_logs', sql`written_at <= now() - interval '30 days'`)).toBe(1);
    const verify = await runCli(['evidence', 'verify', '--json'], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, records: due - 1 + dropped });
    // A customer seen every day: some of their records went with whole partitions, some by batch.
    const subject = '100000003';
    const find = await runCli(['evidence', 'find', '--subject', subject, '--json'], env);
    expect(find.code, find.stderr).toBe(0);
    const records = JSON.parse(find.stdout).records as { batch_id: string; action: string }[];
    const mine = await count(t.db, 'access_logs', sql`customer_id = ${subject}`);
    const theirs = await count(t.db, 'lethe.evidence', sql`subject_ref = ${subjectRef(deriveKeys(TEST_SECRET), subject)}`);
    expect(records.length).toBe(theirs);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((x) => x.action === 'delete')).toBe(true);
    const whole = new Set((await rows<{ id: string }>(t.db, sql`SELECT batch_id::text AS id FROM lethe.evidence WHERE action = 'partition_dropped'`)).map((x) => x.id));
    expect(records.some((x) => whole.has(x.batch_id))).toBe(true);
    expect(records.some((x) => !whole.has(x.batch_id))).toBe(true);
    // Every one of their 54 rows either stays (not due yet) or has exactly one delete record.
    expect(mine + theirs).toBe((36 * 30) / 20);
  });

  it('refuses a LETHE_DROP_PARTITIONS that is not true or false, before touching anything', async () => {
    const r = await runCli(['plan'], { ...env, LETHE_DROP_PARTITIONS: 'yes' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LETHE_DROP_PARTITIONS must be true or false/);
  });
});
