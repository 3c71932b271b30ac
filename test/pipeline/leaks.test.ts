// After a sweep, an erasure request and error paths at trace log level, partner notifications
// and requests to \`lethe serve\` carrying personal data: no seeded name, phone, ID number,
// e-mail or raw id appears in the evidence, the register export, any log line, or any Redis key
// or value the queues left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, redisDump, REDIS_URL, TEST_SECRET, testConfig, waitFor, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from '../cli/run-cli.ts';
import { rows } from '../../src/db/sql.ts';
import { pino } from 'pino';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { bearer, buildServer, serverFixture } from '../server/server-fixture.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';
import { startPartnerService } from '../../src/partners/service.ts';
import { enqueueDueRequests } from '../../src/partners/sweep.ts';
import { registry as jobs } from '../../jobs/index.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { startHarness } from '../fixtures/partners/harness.ts';
import { startTestS3, TEST_CREDENTIALS } from '../fixtures/s3.ts';
import { DOCS, FACES, NOW as OBJECTS_NOW, policyDir, seedWorld, uploaded } from '../objects/world.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { startObjectService } from '../../src/objects/service.ts';

describe('no personal data in evidence, logs or Redis', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  let logs = '';
  let redis = '';
  let register = '';

  beforeAll(async () => {
    t = await createTestDb('leaks');
    q = createQueuePrefix('leaks');
    lender = await seedSmallLender(t.db, new Date());
    const env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_BATCH_SIZE: '2', LOG_LEVEL: 'trace' };
    await runCli(['hold', 'add', '--subject', lender.customers.held, '--reason', 'case 7'], env);
    const r = await runCli(['sweep'], env);
    expect(r.code, r.stderr).toBe(0);
    logs = r.stderr + r.stdout;
    // An erasure request, then error paths holding personal data in their input, and the register.
    const erase = await runCli(['erase', '--subject', lender.customers.plain, '--ticket', 'CS-LEAK-1'], env);
    expect(erase.code, erase.stderr).toBe(0);
    logs += erase.stderr + erase.stdout;
    const steps = [
      ['erase', '--subject', '13800138000', '--ticket', 'CS-LEAK-2'],
      ['purge', 'request', '--subject', '310101198807141234', '--reason', 'x'],
      ['hold', 'add', '--subject', '张伟', '--reason', 'x'],
      ['plan', '--subject', '13912345678', '--json'],
      ['evidence', 'export', '--format', 'json'],
      ['evidence', 'export', '--format', 'csv'],
    ];
    for (const [i, s] of (await Promise.all(steps.map((args) => runCli(args, env)))).entries()) {
      expect(s.code, `${steps[i]!.join(' ')}: ${s.stderr}`).not.toBe(1);
      if (steps[i]![1] === 'export') register += s.stdout;
      else logs += s.stderr + s.stdout;
    }
    redis = await redisDump(q.prefix);
  }, 180_000);
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('the sweep and the erasure really ran and logged at trace level', async () => {
    expect(logs).toContain('"msg":"batch purged"');
    expect(Number((await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence WHERE trigger = 'erasure_request'`))[0]!.n)).toBeGreaterThan(0);
    expect(register).toContain('"records"');
    expect(redis.length).toBeGreaterThan(0);
    expect(Number((await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence`))[0]!.n)).toBeGreaterThan(10);
  });

  it('finds none of the seeded values anywhere', async () => {
    const evidence = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(e)::text AS j FROM lethe.evidence e`)).map((r) => r.j).join('\n');
    const seals = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(s)::text AS j FROM lethe.evidence_seals s`)).map((r) => r.j).join('\n');
    for (const value of lender.values) {
      expect(evidence, `evidence holds ${value}`).not.toContain(value);
      expect(seals, `seals hold ${value}`).not.toContain(value);
      expect(logs, `logs hold ${value}`).not.toContain(value);
      expect(redis, `redis holds ${value}`).not.toContain(value);
      expect(register, `the register holds ${value}`).not.toContain(value);
    }
  });
});

describe('no personal data in the logs of lethe serve', () => {
  it('requests carrying names, phones and ID numbers in paths, queries and bodies, refused or not, log none of them', async () => {
    const f = await serverFixture('leaks-http');
    const trace = pino({ level: 'trace' }, new Writable({ write(chunk, _e, done) { f.logs.push(String(chunk)); done(); } }));
    const base = f.deps();
    const app = buildServer({ ...base, ctx: { ...base.ctx, log: trace } });
    // An outage on the queue: the 500 path logs its error, never the request it failed.
    const broken = buildServer({ ...base, ctx: { ...base.ctx, log: trace }, enqueue: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379'); } });
    try {
      const c = f.lender.customers;
      const op = bearer(f.tokens.operator);
      const json = { ...op, 'content-type': 'application/json' };
      const calls: [FastifyInstance, InjectOptions][] = [
        [app, { method: 'POST', url: '/erasure-requests', headers: op, payload: { subject: '13800138000', ticket: 'T-1' } }],
        [app, { method: 'POST', url: '/erasure-requests', headers: op, payload: { subject: c.plain, ticket: 'T-2' } }],
        [broken, { method: 'POST', url: '/erasure-requests', headers: op, payload: { subject: c.held, ticket: 'T-3' } }],
        [app, { method: 'GET', url: '/plan?subject=310101198807141234', headers: op }],
        [app, { method: 'GET', url: `/erasure-requests/${encodeURIComponent('13912345678')}`, headers: op }],
        [app, { method: 'POST', url: `/holds/${encodeURIComponent('张伟')}/release`, headers: op, payload: { reason: 'x' } }],
        [app, { method: 'POST', url: '/holds', headers: op, payload: { subject: '李娜', reason: 'case 9' } }],
        [app, { method: 'POST', url: '/purge-requests', headers: op, payload: { subject: '110105199001011111', reason: 'x' } }],
        [app, { method: 'POST', url: '/events/consent-withdrawn', headers: op, payload: { subject: '440301198512122222', purpose: 'marketing' } }],
        [app, { method: 'POST', url: '/erasure-requests', headers: json, payload: '{"subject": "王芳", "ticket": ' }],
        [app, { method: 'POST', url: '/erasure-requests', headers: op, payload: { subject: '刘洋', ticket: 'T-4', '13698765432': 1 } }],
        [app, { method: 'POST', url: `/partners/${encodeURIComponent('刘洋')}/confirmations`, headers: { 'content-type': 'application/json' }, payload: { request_id: c.ended } }],
        [app, { method: 'GET', url: `/?token=${c.endedRecently}`, headers: {} }],
      ];
      const statuses: number[] = [];
      for (const [server, call] of calls) statuses.push((await server.inject(call)).statusCode);
      expect(statuses).toContain(500);
      expect(statuses).toContain(202);
      const text = f.logs.join('');
      expect(text).toContain('"msg":"request failed"');
      for (const value of f.lender.values) expect(text, `server log holds ${value}`).not.toContain(value);
    } finally {
      await app.close();
      await broken.close();
      await f.drop();
    }
  });
});

describe('no personal data in partner notifications\' logs, Redis or evidence', () => {
  it('a sweep that notifies partners and their confirmations, at trace level', async () => {
    const h = await startHarness('leaks-partners');
    const q = createQueuePrefix('leaks-partners');
    h.ctx.log.level = 'trace';
    const connection = redisConnection(testConfig(h.t).redisUrl);
    const queues = new Queues(connection, q.prefix);
    const config = testConfig(h.t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_PARTNER_SWEEP_EVERY: 'PT1S' });
    const service = await startPartnerService({ ...h.ctx, rules: h.rules, config, enqueue: queues.enqueue }, jobs,
      { connection, prefix: q.prefix, queues, registry: h.registry, delivery: { baseDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 1500 } });
    try {
      await sweepInline(h.ctx, h.rules, 100);
      await enqueueDueRequests(h.ctx, queues.enqueue, 0);
      await waitFor(async () => (await rows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM lethe.partner_requests WHERE status <> 'confirmed'`))[0]!.n === '0', 30_000, 'confirmed');
      const redis = await redisDump(q.prefix);
      const evidence = (await rows<{ j: string }>(h.t.db, sql`SELECT row_to_json(e)::text AS j FROM lethe.evidence e`)).map((r) => r.j).join('\n');
      const logs = h.logs.join('');
      expect(logs).toContain('partner');
      expect(evidence).toContain('partner_confirmed');
      // The partners' own references for the people are personal data too.
      for (const value of [...h.lender.values, 'A-PLAIN', 'A-HELD', 'B-PLAIN']) {
        expect(logs, `logs hold ${value}`).not.toContain(value);
        expect(redis, `redis holds ${value}`).not.toContain(value);
        expect(evidence, `evidence holds ${value}`).not.toContain(value);
      }
    } finally {
      await service.stop();
      await queues.close();
      connection.disconnect();
      await q.cleanup();
      await h.close();
    }
  }, 90_000);
});

describe('no object key or URI in logs, Redis or evidence', () => {
  it('a sweep whose files the store workers delete through a store failing half its requests, at trace level', async () => {
    const t = await createTestDb('leaks-objects');
    const q = createQueuePrefix('leaks-objects');
    const s3 = await startTestS3([FACES, DOCS]);
    Object.assign(process.env, TEST_CREDENTIALS);
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
    const config = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    const ctx = { db: t.db, keys: deriveKeys(TEST_SECRET), clock: { now: () => new Date(OBJECTS_NOW.getTime() + (Date.now() - started)) }, log };
    const started = Date.now();
    const connection = redisConnection(config.redisUrl);
    const queues = new Queues(connection, q.prefix);
    try {
      await seedWorld(t.db);
      for (const o of uploaded()) await s3.put(o.bucket, o.key);
      const stores = s3.registry([s3.store('faces', FACES), s3.store('docs', DOCS, { maxAttempts: 6 })]);
      const rules = (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).ruleset;
      // Half the requests fail (503), during the sweep and after: retries, warnings, error paths.
      s3.fault = { failRate: 0.5 };
      await sweep(ctx, rules, config, jobs, { actor: 'operator:test' });
      const service = await startObjectService({ ...ctx, rules, config, enqueue: queues.enqueue }, jobs,
        { connection, prefix: q.prefix, queues, everyMs: 200, delivery: { baseDelayMs: 30, maxDelayMs: 200 } });
      try {
        await waitFor(async () => (await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.object_deletions WHERE status = 'pending'`))[0]!.n === '0', 60_000, 'files settled');
      } finally {
        await service.stop();
      }
      const redis = await redisDump(q.prefix);
      const evidence = (await rows<{ j: string }>(t.db, sql`SELECT row_to_json(e)::text AS j FROM lethe.evidence e`)).map((r) => r.j).join('\n');
      const logs = lines.join('');
      expect(evidence).toContain('object_deleted');
      expect(logs).toMatch(/object not deleted; will retry|object deleted/);
      expect(redis).toContain('delete-object');
      for (const o of uploaded().filter((u) => !/held|fresh/.test(u.key))) {
        for (const value of [o.key, encodeURIComponent(o.key), encodeURI(o.key), o.key.split('/').pop()!]) {
          expect(logs, `logs hold ${value}`).not.toContain(value);
          expect(redis, `redis holds ${value}`).not.toContain(value);
          expect(evidence, `evidence holds ${value}`).not.toContain(value);
        }
      }
      for (const bucket of [FACES, DOCS]) {
        expect(redis).not.toContain(bucket);
        expect(evidence).not.toContain(bucket);
      }
    } finally {
      await queues.close();
      connection.disconnect();
      await s3.close();
      await q.cleanup();
      await t.drop();
    }
  }, 120_000);
});
