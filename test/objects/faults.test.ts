// What a store does wrong: down, refusing deletions (Object Lock), pointers lethe cannot place —
// and an erasure request, which deletes the subject's files before it answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { TEST_SECRET, createQueuePrefix, createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { main } from '../../src/cli/main.ts';
import { startTestS3, TEST_CREDENTIALS, type TestS3 } from '../fixtures/s3.ts';
import { DOCS, FACES, NOW, policyDir, seedWorld, uploaded } from './world.ts';
import { settleObjects } from './settle.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';
import { type Clock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import type { Store } from '../../src/objects/stores.ts';
import type { Config } from '../../src/config.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

Object.assign(process.env, TEST_CREDENTIALS);

describe('object stores that fail', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let s3: TestS3;
  let cfg: Config;
  let ctx: EngineContext;
  let clock: Clock;

  const world = async (extra: Partial<Store> = {}): Promise<Ruleset> => {
    const stores = s3.registry([s3.store('faces', FACES, extra), s3.store('docs', DOCS, extra)]);
    return (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).ruleset;
  };
  const left = async () => (await Promise.all(uploaded().map((o) => s3.exists(o.bucket, o.key)))).filter(Boolean).length;
  const evidence = (action: string) => count(t.db, 'lethe.evidence', sql`action = ${action}`);

  beforeEach(async () => {
    t = await createTestDb('objfault');
    q = createQueuePrefix('objfault');
    s3 = await startTestS3([FACES, DOCS]);
    await seedWorld(t.db);
    for (const o of uploaded()) await s3.put(o.bucket, o.key);
    cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_RECONCILE_EVERY: 'PT1S' });
    // A clock that moves: retries are scheduled against it.
    clock = { now: () => new Date(NOW.getTime() + (Date.now() - started)) };
    const started = Date.now();
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock, log: silentLogger };
  });
  afterEach(async () => {
    await s3.close();
    await q.cleanup();
    await t.drop();
  });

  it('a store outage leaves the files pending; the worker deletes them once the store is back', async () => {
    const rules = await world();
    s3.fault = 'down';
    const r = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    // No hold here: chk-held is due as well.
    expect(r.policies[0]).toMatchObject({ destroyed: 5 });
    expect(r.objects).toEqual({ deleted: 0, notDeleted: 6, kept: 0 });
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'pending' AND last_error IS NOT NULL AND bucket IS NOT NULL`)).toBe(6);
    expect(await evidence('object_deleted')).toBe(0);
    s3.fault = 'none';
    await settleObjects(ctx, rules, cfg, { baseDelayMs: 50, maxDelayMs: 200 }, 'pending deletions to finish');
    expect(await evidence('object_deleted')).toBe(6);
    // fresh.jpg and fresh.pdf stay.
    expect(await left()).toBe(2);
    expect(await count(t.db, 'lethe.object_deletions', sql`bucket IS NOT NULL OR object_key IS NOT NULL`)).toBe(0);
  });

  // The proxy's 403 to every DELETE, on unversioned stores; real Object Lock (retention, legal
  // hold, on versioned buckets) is in versioned-sweep.test.ts.
  it('a store refusing deletions (Object Lock) ends in object_failed with the reason, after a few tries, not forever', async () => {
    const rules = await world({ maxAttempts: 20 });
    s3.fault = 'deny-deletes';
    await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    // The never-uploaded file is absent: no DELETE is sent for it, so it is recorded deleted.
    await settleObjects(ctx, rules, cfg, { baseDelayMs: 20, maxDelayMs: 100 }, 'refused deletions to fail');
    const failed = await rows<{ fields: Record<string, unknown> }>(t.db, sql`SELECT fields FROM lethe.evidence WHERE action = 'object_failed'`);
    expect(failed).toHaveLength(5);
    expect(String(failed[0]!.fields.error)).toMatch(/AccessDenied.*object lock.*gave up after 3 attempts/i);
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'failed' AND attempts = 3`)).toBe(5);
    expect(await left()).toBe(7);
    const dump = JSON.stringify(failed);
    for (const o of uploaded()) expect(dump).not.toContain(o.key);
    // What the operator sees: the failures, with times in LETHE_TIMEZONE like every other table.
    const out: string[] = [];
    const env = { DATABASE_URL: t.url, LETHE_SECRET: TEST_SECRET, LETHE_TIMEZONE: 'Asia/Shanghai', LOG_LEVEL: 'silent' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      expect(await main(['objects', 'status'], { out: (x) => out.push(x), err: () => {}, isTTY: false })).toBe(0);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    const failedLines = out.join('\n').split('failed (an operator must follow these up):')[1]!.trim().split('\n').slice(1);
    expect(failedLines.filter((l) => /\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+08:00/.test(l))).toHaveLength(5);
    expect(out.join('\n')).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });

  it('a pointer into a bucket the store does not name fails the batch and destroys nothing', async () => {
    await t.db.execute(sql`UPDATE app.liveness_checks SET photo = 's3://someone-elses-bucket/x.jpg' WHERE check_id = 'chk-due-3'`);
    const rules = await world();
    const r = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    expect(r.policies[0]).toMatchObject({ destroyed: 0 });
    expect(r.policies[0]!.failed).toBeGreaterThan(0);
    expect(await count(t.db, 'app.liveness_checks')).toBe(6);
    expect(await count(t.db, 'lethe.object_deletions')).toBe(0);
    expect(await left()).toBe(7);
    const [batch] = await rows<{ error: string }>(t.db, sql`SELECT error FROM lethe.batches WHERE status = 'failed'`);
    expect(batch!.error).toMatch(/app\.liveness_checks\.photo names a bucket other than the store's \(faces-bkt\)/);
    expect(batch!.error).not.toContain('someone-elses-bucket');
  });

  it('an erasure request deletes the subject\'s files before it answers, and no one else\'s', async () => {
    const rules = await world();
    const id = await recordErasureRequest(ctx, rules, 15, { subject: 'P-001', ticket: 'CS-1', actor: 'operator:test' });
    expect(await executeErasure(ctx, rules, id, { batchSize: 100 })).toBe('completed');
    // P-001: chk-due-1 (selfie one.jpg, income 1.pdf) and chk-fresh (fresh.jpg, fresh.pdf).
    for (const key of ['2026/10/selfie one.jpg', '2026/11/fresh.jpg']) expect(await s3.exists(FACES, key)).toBe(false);
    for (const key of ['proofs/income 1.pdf', 'proofs/fresh.pdf']) expect(await s3.exists(DOCS, key)).toBe(false);
    expect(await left()).toBe(3);
    const ev = await rows<{ subject_ref: string; trigger: string }>(t.db, sql`SELECT subject_ref, trigger FROM lethe.evidence WHERE action = 'object_deleted'`);
    expect(ev).toHaveLength(4);
    expect(ev.every((e) => e.subject_ref === subjectRef(ctx.keys, 'P-001') && e.trigger === 'erasure_request')).toBe(true);
  });
});
