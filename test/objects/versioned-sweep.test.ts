// A sweep whose files sit in versioned buckets, and in buckets under Object Lock, on a real
// radosgw (the fixture starts it; .ci/run installs it). Every version of a destroyed record's file
// goes; a version under COMPLIANCE or GOVERNANCE retention or a legal hold is refused by the
// store, and lethe records that as `object_failed` with the reason after a few tries, never
// forever, without touching the lock — retention is the law of the bucket's owner, not lethe's.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DeleteObjectCommand, PutObjectLegalHoldCommand, PutObjectRetentionCommand } from '@aws-sdk/client-s3';
import { createQueuePrefix, createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { skipWithoutRgw, startTestRgw, type TestRgw } from '../fixtures/rgw.ts';
import { DOCS, FACES, NOW, policyDir, seedWorld, uploaded } from './world.ts';
import { settleObjects } from './settle.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { objectRef } from '../../src/objects/pointers.ts';
import { addHold } from '../../src/holds/holds.ts';
import { rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import type { Config } from '../../src/config.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

type Evidence = { action: string; fields: Record<string, unknown> };

describe.skipIf(skipWithoutRgw('test/objects/versioned-sweep.test.ts'))('a sweep on versioned and Object Lock buckets (radosgw)', () => {
  let rgw: TestRgw;
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let cfg: Config;
  let ctx: EngineContext;

  beforeAll(async () => {
    rgw = await startTestRgw();
  }, 120_000);
  afterAll(async () => {
    await rgw?.close();
  });
  beforeEach(async () => {
    t = await createTestDb('objversioned');
    q = createQueuePrefix('objversioned');
    await seedWorld(t.db);
    cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_RECONCILE_EVERY: 'PT1S' });
    // A clock that moves: retries are scheduled against it.
    const started = Date.now();
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: { now: () => new Date(NOW.getTime() + (Date.now() - started)) }, log: silentLogger };
  });
  afterEach(async () => {
    await q.cleanup();
    await t.drop();
  });

  const rules = async (faces: string, docs: string): Promise<Ruleset> => {
    // max_attempts 20, as shipped: a refusal must still stop at 3.
    const stores = rgw.registry([rgw.store('faces', faces, { maxAttempts: 20 }), rgw.store('docs', docs, { maxAttempts: 20 })]);
    return (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).ruleset;
  };
  const evidence = async () => {
    const ev = await rows<Evidence>(t.db, sql`SELECT action, fields FROM lethe.evidence WHERE action LIKE 'object_%'`);
    const of = (store: string, bucket: string, key: string) => ev.filter((e) => e.fields.object === objectRef(ctx.keys, store, { bucket, key }));
    return { all: ev, of };
  };
  const noKeyIn = (text: string, buckets: string[]) => {
    for (const o of uploaded()) expect(text).not.toContain(o.key);
    for (const b of buckets) expect(text).not.toContain(b);
  };

  it('deletes every version and delete marker of the due files, and not one version of the held and fresh ones', async () => {
    for (const b of [FACES, DOCS]) await rgw.bucket(b, { versioning: 'Enabled' });
    for (const o of uploaded()) for (const body of ['first', 'second']) await rgw.put(o.bucket, o.key, body);
    // Deleted once already by someone else: a delete marker hides two versions that remain.
    await rgw.client.send(new DeleteObjectCommand({ Bucket: FACES, Key: '2026/10/selfie one.jpg' }));
    const r = await rules(FACES, DOCS);
    await addHold(ctx, r, { subject: 'P-HELD', reason: 'litigation', actor: 'test' });
    const result = await sweep(ctx, r, cfg, registry, { actor: 'operator:test' });
    expect(result.objects).toEqual({ deleted: 4, notDeleted: 0, kept: 0 });

    const ev = await evidence();
    expect(ev.all.map((e) => e.action)).toEqual(Array(4).fill('object_deleted'));
    expect(ev.of('faces', FACES, '2026/10/selfie one.jpg')[0]!.fields).toMatchObject({ versions: 3 });
    expect(ev.of('faces', FACES, '2026/10/never-uploaded.jpg')[0]!.fields).toMatchObject({ versions: 0, absent: true });
    expect(ev.of('docs', DOCS, 'proofs/income 1.pdf')[0]!.fields).toMatchObject({ versions: 2 });
    expect(ev.of('docs', DOCS, 'proofs/3.pdf')[0]!.fields).toMatchObject({ versions: 2 });
    for (const [bucket, key] of [[FACES, '2026/10/selfie one.jpg'], [DOCS, 'proofs/income 1.pdf'], [DOCS, 'proofs/3.pdf']] as const) {
      expect(await rgw.versions(bucket, key)).toEqual([]);
    }
    for (const [bucket, key] of [[FACES, '2026/10/held.jpg'], [DOCS, 'proofs/held.pdf'], [FACES, '2026/11/fresh.jpg'], [DOCS, 'proofs/fresh.pdf']] as const) {
      expect(await rgw.versions(bucket, key)).toHaveLength(2);
    }
    noKeyIn(JSON.stringify(await rows(t.db, sql`SELECT e.*, o.* FROM lethe.evidence e FULL JOIN lethe.object_deletions o ON false`)), [FACES, DOCS]);
  });

  it('Object Lock (COMPLIANCE, GOVERNANCE, legal hold) ends in object_failed with the reason after 3 tries; unlocked versions still go', async () => {
    const [faces, docs] = ['faces-locked', 'docs-locked'];
    for (const b of [faces, docs]) await rgw.bucket(b, { objectLock: true });
    // The world's pointers name its own buckets: moved to the locked ones.
    await t.db.execute(sql`UPDATE app.liveness_checks SET photo = replace(photo, ${`//${FACES}/`}, ${`//${faces}/`})`);
    await t.db.execute(sql`UPDATE app.attachments SET blob_path = replace(blob_path, ${`//${DOCS}/`}, ${`//${docs}/`})`);
    const bucketOf = (b: string) => (b === FACES ? faces : docs);
    const version: Record<string, string[]> = {};
    for (const o of uploaded()) version[o.key] = [await rgw.put(bucketOf(o.bucket), o.key, 'first'), await rgw.put(bucketOf(o.bucket), o.key, 'second')];
    const until = new Date(Date.now() + 86_400_000);
    const retain = (bucket: string, key: string, versionId: string, mode: 'COMPLIANCE' | 'GOVERNANCE') =>
      rgw.client.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: versionId, Retention: { Mode: mode, RetainUntilDate: until } }));
    for (const v of version['2026/10/selfie one.jpg']!) await retain(faces, '2026/10/selfie one.jpg', v, 'COMPLIANCE');
    for (const v of version['proofs/income 1.pdf']!) {
      await rgw.client.send(new PutObjectLegalHoldCommand({ Bucket: docs, Key: 'proofs/income 1.pdf', VersionId: v, LegalHold: { Status: 'ON' } }));
    }
    // Only the older version is retained: the newer one may go, and does.
    await retain(docs, 'proofs/3.pdf', version['proofs/3.pdf']![0]!, 'GOVERNANCE');

    const r = await rules(faces, docs);
    await sweep(ctx, r, cfg, registry, { actor: 'operator:test' });
    await settleObjects(ctx, r, cfg, { baseDelayMs: 20, maxDelayMs: 100 }, 'locked deletions to fail');

    const ev = await evidence();
    const failed = [ev.of('faces', faces, '2026/10/selfie one.jpg'), ev.of('docs', docs, 'proofs/income 1.pdf'), ev.of('docs', docs, 'proofs/3.pdf')];
    for (const f of failed) {
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ action: 'object_failed', fields: { attempts: 3 } });
      expect(String(f[0]!.fields.error)).toMatch(/^AccessDenied.*Object Lock or retention.*gave up after 3 attempts\)$/);
    }
    // The pointer stays on a failed row: the operator follows it up once the lock ends.
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'failed' AND attempts = 3 AND bucket IS NOT NULL AND object_key IS NOT NULL`)).toBe(3);
    for (const [key, store, bucket] of [['2026/10/held.jpg', 'faces', faces], ['proofs/held.pdf', 'docs', docs]] as const) {
      expect(ev.of(store, bucket, key)).toMatchObject([{ action: 'object_deleted', fields: { versions: 2 } }]);
      expect(await rgw.versions(bucket, key)).toEqual([]);
    }
    expect(ev.all).toHaveLength(6);
    expect((await rgw.versions(faces, '2026/10/selfie one.jpg')).sort()).toEqual([...version['2026/10/selfie one.jpg']!].sort());
    expect((await rgw.versions(docs, 'proofs/income 1.pdf')).sort()).toEqual([...version['proofs/income 1.pdf']!].sort());
    expect(await rgw.versions(docs, 'proofs/3.pdf')).toEqual([version['proofs/3.pdf']![0]]);
    expect(await rgw.versions(faces, '2026/11/fresh.jpg')).toHaveLength(2);
    noKeyIn(JSON.stringify(ev.all), [faces, docs]);
  });
});
