// Whole partitions at their edges: layouts that never go whole, a drop PostgreSQL refuses (a
// foreign key from a table no policy declares), files and partner requests queued as a batch
// queues them, the post-destruction check of a dropped range, and a long report on the parent
// that the DETACH must not let block the application.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { createTestDb, count, TEST_SECRET, waitFor, type TestDb } from '../helpers.ts';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { partitionsContext, sweepOnce, leafNames, DAY_MS } from './partitions-world.ts';
import { rows } from '../../src/db/sql.ts';
import { deriveKeys, recordRef } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { parseStoreRegistry } from '../../src/objects/stores.ts';
import { plan } from '../../src/plan/plan.ts';
import { checkDroppedPartition } from '../../src/destroy/partitions/post-check.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { addHold } from '../../src/holds/holds.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const CUTOFF = new Date(NOW.getTime() - 30 * DAY_MS);

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-partition-policies-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const eventsPolicy = (table: string) => `id: ${table.replace(/_/g, '-')}
title: 事件
category: event
classification: C1
basis: [个人信息保护法 第十九条]
source: { table: ${table}, key: id, subject: who }
trigger: { kind: expiry, from: at }
retain: P30D
action: delete
`;

describe('layouts that never go whole', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  beforeAll(async () => {
    t = await createTestDb('partitions_layouts');
    // Partitioned on the key, not the clock; and by list on the clock.
    await t.db.execute(sql.raw(`CREATE TABLE by_key (id bigint, who bigint, at timestamptz NOT NULL) PARTITION BY RANGE (id);
      CREATE TABLE by_key_1 PARTITION OF by_key FOR VALUES FROM (0) TO (1000);
      CREATE TABLE by_key_2 PARTITION OF by_key FOR VALUES FROM (1000) TO (2000);
      CREATE TABLE by_list (id bigint, who bigint, at date NOT NULL) PARTITION BY LIST (at);
      CREATE TABLE by_list_old PARTITION OF by_list FOR VALUES IN ('2025-01-01', '2025-01-02');
      CREATE TABLE by_list_rest PARTITION OF by_list DEFAULT;
      CREATE TABLE ranged (id bigint, who bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ranged_old PARTITION OF ranged FOR VALUES FROM (MINVALUE) TO ('2025-04-01');
      CREATE TABLE ranged_spring PARTITION OF ranged FOR VALUES FROM ('2025-04-01') TO ('2025-06-01');
      CREATE TABLE ranged_june PARTITION OF ranged FOR VALUES FROM ('2025-06-01') TO ('2025-07-01') PARTITION BY LIST (who);
      CREATE TABLE ranged_june_all PARTITION OF ranged_june DEFAULT;
      CREATE TABLE ranged_rest PARTITION OF ranged FOR VALUES FROM ('2025-07-01') TO (MAXVALUE);
      INSERT INTO by_key SELECT g, g % 5, timestamptz '2025-01-01' + g * interval '1 hour' FROM generate_series(1, 1999) g;
      INSERT INTO by_list SELECT g, g % 5, date '2025-01-01' + (g % 2) FROM generate_series(1, 50) g;
      INSERT INTO ranged SELECT g, g % 5, timestamptz '2025-05-01' + g * interval '1 day' FROM generate_series(1, 250) g;
      CREATE TABLE profiles (id bigint, who bigint, name text, at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE profiles_2025 PARTITION OF profiles FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO profiles SELECT g, g, 'name ' || g, timestamptz '2025-01-01' + g * interval '1 day' FROM generate_series(1, 300) g;`));
    const anonymise = `${eventsPolicy('profiles').replace('action: delete', 'action:\n  anonymise:\n    name: redact')}`;
    ({ ctx, rules } = await partitionsContext(t, NOW, policyDir({ 'by-key.yaml': eventsPolicy('by_key'), 'by-list.yaml': eventsPolicy('by_list'),
      'ranged.yaml': eventsPolicy('ranged'), 'profiles.yaml': anonymise })));
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('goes by batch on a table partitioned on another column or by list', async () => {
    const counts = await plan(ctx, rules, { now: NOW, policyIds: ['by-key', 'by-list'] });
    expect(counts.map((c) => c.partitions)).toEqual([undefined, undefined]);
    for (const [id, table] of [['by-key', 'by_key'], ['by-list', 'by_list']] as const) {
      const before = await leafNames(t.db, 'public', table);
      const { dropped } = await sweepOnce(ctx, rules, id, NOW);
      expect(dropped).toEqual([]);
      expect(await leafNames(t.db, 'public', table)).toEqual(before);
      expect(await count(t.db, table, sql`at <= ${CUTOFF}`)).toBe(0);
    }
    expect(await count(t.db, 'lethe.evidence', sql`action = 'partition_dropped'`)).toBe(0);
  });

  it('never drops the partitions of a policy that anonymises: its records stay, rewritten', async () => {
    const [p] = await plan(ctx, rules, { now: NOW, policyIds: ['profiles'] });
    expect(p).toMatchObject({ anonymised: 300 });
    expect(p!.partitions).toBeUndefined();
    const { dropped } = await sweepOnce(ctx, rules, 'profiles', NOW);
    expect(dropped).toEqual([]);
    expect(await leafNames(t.db, 'public', 'profiles')).toEqual(['profiles_2025']);
    expect(await count(t.db, 'profiles', sql`name = '***'`)).toBe(300);
  });

  it('never drops a MAXVALUE or sub-partitioned partition whole; an empty due one goes too, with its evidence', async () => {
    const [p] = await plan(ctx, rules, { now: NOW, policyIds: ['ranged'] });
    const spring = await count(t.db, 'ranged_spring');
    expect(await count(t.db, 'ranged_old')).toBe(0);
    expect(p!.partitions).toEqual({ whole: 2, whole_rows: spring, batch_rows: p!.due - spring });
    const { dropped } = await sweepOnce(ctx, rules, 'ranged', NOW);
    expect(dropped.sort()).toEqual(['ranged_old', 'ranged_spring']); // two lanes: in either order
    const [empty] = await rows<{ records: string; destroyed: number; evidence_records: number }>(t.db, sql`SELECT e.fields->>'records' AS records,
      b.destroyed, b.evidence_records FROM lethe.evidence e JOIN lethe.batches b ON b.id = e.batch_id WHERE e.fields->>'partition_dropped' = 'public.ranged_old'`);
    expect(empty).toEqual({ records: '0', destroyed: 0, evidence_records: 1 });
    expect(await leafNames(t.db, 'public', 'ranged')).toEqual(['ranged_june', 'ranged_rest']);
    expect(await count(t.db, 'ranged', sql`at <= ${CUTOFF}`)).toBe(0);
    expect(await count(t.db, 'ranged_june_all')).toBe(0);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true });
  });
});

describe('a drop PostgreSQL refuses, files and partners, the check after', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  const logged: Record<string, unknown>[] = [];
  beforeAll(async () => {
    t = await createTestDb('partitions_edges');
    await partitionedAccessLogs(t.db, { now: NOW, days: 40, perDay: 20, customers: 10, start: new Date(NOW.getTime() - 40 * DAY_MS) });
    await t.db.execute(sql`ALTER TABLE access_logs ADD COLUMN screenshot text`);
    await t.db.execute(sql`UPDATE access_logs SET screenshot = 's3://shots/' || id || '.png' WHERE id % 4 = 0`);
    // A review of one log row on 2026-02-10, in a table no policy declares: its foreign key stops that partition's drop.
    await t.db.execute(sql`CREATE TABLE log_reviews (id serial PRIMARY KEY, log_id bigint NOT NULL, written_at timestamptz NOT NULL,
      FOREIGN KEY (log_id, written_at) REFERENCES access_logs (id, written_at))`);
    await t.db.execute(sql`INSERT INTO log_reviews (log_id, written_at) SELECT id, written_at FROM access_logs_p2026_02_10 ORDER BY id LIMIT 1`);
    await t.db.execute(sql`INSERT INTO data_sharing_ledger (partner_id, customer_id, category, partner_subject_ref, shared_at)
      VALUES ('risk-bureau', 100000003, 'access-log', 'rb-3', '2026-01-01'), ('risk-bureau', 100000004, 'access-log', 'rb-4', '2026-01-01'),
        ('ads-co', 100000005, 'marketing', 'ad-5', '2026-01-01')`);
    const dir = policyDir({ 'access-logs.yaml': `id: access-logs
title: 系统与访问日志
category: access-log
classification: C1
basis: [网络安全法 第二十一条]
source: { table: access_logs, key: id, subject: customer_id }
trigger: { kind: expiry, from: written_at }
retain: P30D
action: delete
partners: notify
objects:
  - { column: screenshot, store: shots }
` });
    const stores = parseStoreRegistry(`- { id: shots, kind: s3, endpoint: 'http://127.0.0.1:1', region: us-east-1, bucket: shots,
  access_key_env: SHOTS_KEY, secret_key_env: SHOTS_SECRET, path_style: true, versioned: false }\n`, 'stores.yaml');
    const log = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) });
    ctx = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(NOW), log };
    rules = (await buildRuleset(t.db, await loadPolicies(dir), stores)).ruleset;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('leaves a partition whose drop a foreign key refuses to row batches, which are refused the usual way; the others go', async () => {
    const inIt = await count(t.db, 'access_logs_p2026_02_10');
    const { dropped, failedBatches } = await sweepOnce(ctx, rules, 'access-logs', NOW);
    expect(dropped).not.toContain('access_logs_p2026_02_10');
    expect(dropped.length).toBeGreaterThan(5);
    expect(await leafNames(t.db, 'public', 'access_logs')).toContain('access_logs_p2026_02_10');
    expect(failedBatches).toBeGreaterThan(0);
    // Its referenced row is there and has no evidence.
    const [kept] = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM access_logs a JOIN log_reviews r ON r.log_id = a.id`);
    expect(kept!.n).toBe('1');
    expect(await count(t.db, 'access_logs_p2026_02_10')).toBeGreaterThan(0);
    expect(await count(t.db, 'access_logs_p2026_02_10')).toBeLessThanOrEqual(inIt);
    const warning = logged.find((l) => l.msg === 'partition could not be dropped whole: its due rows go by batch');
    expect(warning).toMatchObject({ policy: 'access-logs', partition: 'public.access_logs_p2026_02_10' });
    expect(String(warning!.error)).toMatch(/23503/);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true });
  });

  it('queues the dropped rows\' files and one request per partner, in the drop\'s batch', async () => {
    const whole = await rows<{ batch_id: string; records: string }>(t.db, sql`SELECT batch_id::text, fields->>'records' AS records
      FROM lethe.evidence WHERE action = 'partition_dropped'`);
    const ids = whole.map((w) => w.batch_id);
    const files = await count(t.db, 'lethe.object_deletions', sql`batch_id::text = ANY(${sql.param(ids)}::text[])`);
    const expected = whole.reduce((s, w) => s + Number(w.records), 0);
    // A quarter of the logs had a screenshot.
    expect(files).toBeGreaterThan(expected / 5);
    expect(files).toBeLessThan(expected / 3);
    const requests = await rows<{ partner_id: string; batch_id: string; subjects: string[] }>(t.db, sql`SELECT partner_id, batch_id::text, subject_refs AS subjects
      FROM lethe.partner_requests WHERE batch_id::text = ANY(${sql.param(ids)}::text[])`);
    // Customers 3 and 4 shared their access logs with one partner: one request per dropped partition, both subjects in it.
    expect(requests.every((r) => r.partner_id === 'risk-bureau' && r.subjects.length === 2)).toBe(true);
    expect(new Set(requests.map((r) => r.batch_id))).toEqual(new Set(ids));
  });

  it('reports a record that is back in a dropped range, and nothing for a new record there', async () => {
    const [d] = await rows<{ batch_id: string; run_id: string; from: string; to: string; name: string }>(t.db, sql`SELECT batch_id::text, run_id::text,
      fields->>'from' AS from, fields->>'to' AS to, fields->>'partition_dropped' AS name FROM lethe.evidence
      WHERE action = 'partition_dropped' ORDER BY fields->>'from' LIMIT 1`);
    const [schema, table] = d!.name.split('.');
    // Back: a destroyed key, with a time in the dropped range, lands in the default partition; new: another key.
    const gone = new Set((await rows<{ r: string }>(t.db, sql`SELECT record_ref AS r FROM lethe.evidence WHERE batch_id = ${d!.batch_id} AND action = 'delete'`)).map((x) => x.r));
    const destroyed = Array.from({ length: 800 }, (_, i) => 150000001 + i).find((id) => gone.has(recordRef(ctx.keys, 'public.access_logs', String(id))));
    expect(destroyed).toBeDefined();
    await t.db.execute(sql`INSERT INTO access_logs (id, customer_id, actor, action, written_at)
      VALUES (${destroyed}, 100000002, 'customer', 'login', ${d!.from}::timestamptz + interval '1 hour'),
        (990000001, 100000002, 'customer', 'login', ${d!.from}::timestamptz + interval '2 hours')`);
    const result = await checkDroppedPartition(ctx, rules, rules.get('access-logs')!, 'written_at', {
      batchId: d!.batch_id, runId: d!.run_id, trigger: 'expiry', partition: { schema: schema!, table: table!, from: d!.from, to: d!.to, bound: '' },
    });
    expect(result.survivors).toEqual([{ table: 'public.access_logs', count: 1 }]);
    expect(await count(t.db, 'lethe.evidence', sql`action = 'verify_failed' AND fields->>'batch' = ${d!.batch_id}`)).toBe(1);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true });
  });
});

/**
 * A fresh database of partitioned logs, a report reading the parent in an open transaction, and
 * a sweep whose first drop waits for that report at its DETACH; `fn` then acts while it waits.
 */
async function behindReport(label: string, fn: (w: { t: TestDb; ctx: EngineContext; rules: Ruleset; report: pg.Client;
  sweep: ReturnType<typeof sweepOnce> }) => Promise<void>): Promise<void> {
  const t = await createTestDb(label);
  const report = new pg.Client({ connectionString: t.url });
  try {
    await partitionedAccessLogs(t.db, { now: NOW, days: 34, perDay: 10, customers: 5 });
    const { ctx, rules } = await partitionsContext(t, NOW, 'test/fixtures/partitions');
    await report.connect();
    await report.query('BEGIN');
    await report.query('SELECT count(*) FROM access_logs');
    // One lane: exactly one drop is in flight while the report holds the parent.
    const sweep = sweepOnce(ctx, rules, 'access-logs', NOW, true, 1);
    sweep.catch(() => {});
    await waitFor(async () => (await count(t.db, 'pg_catalog.pg_locks', sql`relation = 'public.access_logs'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted`)) > 0,
      60_000, 'the DETACH to wait for the parent');
    await fn({ t, ctx, rules, report, sweep });
  } finally {
    await report.end();
    await t.drop();
  }
}

describe('a drop kept waiting at its DETACH by a long report', () => {
  it('does not hold the application up: it steps back, lets writes through, and drops once the report ends', async () => {
    await behindReport('partitions_report', async ({ t, report, sweep }) => {
      // A log written now, queued behind the DETACH's request, still gets in before the report ends.
      const writer = new pg.Client({ connectionString: t.url });
      await writer.connect();
      try {
        await writer.query(`INSERT INTO access_logs (customer_id, actor, action, written_at) VALUES (100000001, 'customer', 'login', now())`);
      } finally {
        await writer.end();
      }
      await report.query('COMMIT');
      const { dropped } = await sweep;
      expect(dropped.length).toBeGreaterThan(0);
      expect(await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`)).toBe(0);
      expect(await count(t.db, 'lethe.evidence', sql`action = 'partition_dropped'`)).toBe(dropped.length);
    });
  });

  it('makes hold add wait for the drop in flight: once it returns, no partition with the subject goes whole', async () => {
    await behindReport('partitions_hold', async ({ t, ctx, rules, report, sweep }) => {
      const [first] = await rows<{ name: string }>(t.db, sql`SELECT l.relation::regclass::text AS name FROM pg_locks l
        WHERE l.mode = 'ExclusiveLock' AND l.granted AND l.relation IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'public.access_logs'::regclass)`);
      const name = first!.name.replace(/^public\./, '');
      let returned = false;
      const hold = addHold(ctx, rules, { subject: '100000002', reason: 'dispute', actor: 'test' }).then(() => (returned = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(returned).toBe(false);
      await report.query('COMMIT');
      await hold;
      // The drop that was in flight committed before the hold returned…
      expect((await rows<{ gone: boolean }>(t.db, sql`SELECT to_regclass(${first!.name}) IS NULL AS gone`))[0]!.gone).toBe(true);
      // …and no later partition went whole: each held a row of the subject, now held.
      expect((await sweep).dropped).toEqual([name]);
      expect(await count(t.db, 'access_logs', sql`customer_id = 100000002 AND written_at <= ${CUTOFF}`)).toBeGreaterThan(0);
      expect(await count(t.db, 'access_logs', sql`customer_id <> 100000002 AND written_at <= ${CUTOFF}`)).toBe(0);
    });
  });
});
