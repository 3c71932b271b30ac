// A file two records point to goes with the last of them: never while a record lethe keeps —
// not due yet, or held — still points to it, however either pointer is spelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { startTestS3, TEST_CREDENTIALS, type TestS3 } from '../fixtures/s3.ts';
import { DOCS, FACES, NOW, policyDir, seedWorld, uploaded } from './world.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { addHold } from '../../src/holds/holds.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import { objectRuntime } from '../../src/objects/service.ts';
import { retryDueObjects } from '../../src/objects/drain.ts';
import { requeueKept } from '../../src/objects/sweep.ts';
import type { Config } from '../../src/config.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

Object.assign(process.env, TEST_CREDENTIALS);

const OLD = '2026-10-01T00:00:00Z';

describe('files shared by records', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let s3: TestS3;
  let cfg: Config;
  let ctx: EngineContext;
  let rules: Ruleset;
  let first: Awaited<ReturnType<typeof sweep>>;

  beforeAll(async () => {
    t = await createTestDb('objshared');
    q = createQueuePrefix('objshared');
    s3 = await startTestS3([FACES, DOCS]);
    await seedWorld(t.db);
    for (const o of uploaded()) await s3.put(o.bucket, o.key);
    // Due records pointing, in other spellings, at the files of chk-fresh (not due) and chk-held (held).
    await t.db.execute(sql`INSERT INTO app.liveness_checks VALUES
      ('chk-dup-fresh', 'P-006', ${` S3://${FACES}/2026/11/fresh.jpg\n`}, ${OLD}), ('chk-dup-held', 'P-007', '/2026/10/held.jpg', ${OLD})`);
    await t.db.execute(sql`INSERT INTO app.attachments VALUES (9100000001, 'chk-dup-fresh', ${`obs://${DOCS}/proofs/fresh.pdf`})`);
    cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    const stores = s3.registry([s3.store('faces', FACES), s3.store('docs', DOCS)]);
    rules = (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).ruleset;
    await addHold(ctx, rules, { subject: 'P-HELD', reason: 'litigation', actor: 'test' });
    first = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
  });
  afterAll(async () => {
    await s3?.close();
    await q?.cleanup();
    await t?.drop();
  });

  it('destroys the due records but keeps the files a kept record still points to', async () => {
    expect(first.policies[0]).toMatchObject({ destroyed: 6, held: 1 });
    expect(await count(t.db, 'app.liveness_checks', sql`check_id LIKE 'chk-dup-%'`)).toBe(0);
    expect(first.objects).toEqual({ deleted: 4, notDeleted: 0, kept: 3 });
    expect(await s3.exists(FACES, '2026/11/fresh.jpg')).toBe(true);
    expect(await s3.exists(DOCS, 'proofs/fresh.pdf')).toBe(true);
    expect(await s3.exists(FACES, '2026/10/held.jpg')).toBe(true);
    // The files nobody else points to went as before.
    expect(await s3.exists(FACES, '2026/10/selfie one.jpg')).toBe(false);
  });

  it('settles the kept deletions without evidence yet, says where the file is still pointed to from, and keeps the deletion owed', async () => {
    const kept = await rows<{ last_error: string; bucket: string | null; object_key: string | null }>(t.db,
      sql`SELECT last_error, bucket, object_key FROM lethe.object_deletions WHERE status = 'kept' ORDER BY last_error`);
    expect(kept.map((k) => k.last_error)).toEqual([
      'still pointed to from app.attachments.blob_path',
      'still pointed to from app.liveness_checks.photo',
      'still pointed to from app.liveness_checks.photo',
    ]);
    for (const k of kept) expect([FACES, DOCS]).toContain(k.bucket);
    expect(await count(t.db, 'lethe.evidence', sql`action LIKE 'object_%'`)).toBe(4);
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'pending'`)).toBe(0);
  });

  it('policies check says which index makes the question cheap, and the question uses it', async () => {
    const stores = s3.registry([s3.store('faces', FACES), s3.store('docs', DOCS)]);
    const before = (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).warnings.map((w) => w.message);
    expect(before).toContain(`objects[0].column: no index on lethe.object_key(photo, '${FACES}'), so before each file of store faces is deleted lethe reads all of app.liveness_checks for rows still pointing to it; create one: CREATE INDEX ON app.liveness_checks (lethe.object_key(photo, '${FACES}'))`);
    expect(before.filter((m) => m.startsWith('children[0].objects[0].column: no index on lethe.object_key(blob_path'))).toHaveLength(1);
    await t.db.execute(sql.raw(`CREATE INDEX ON app.liveness_checks (lethe.object_key(photo, '${FACES}'))`));
    const after = (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).warnings.map((w) => w.message);
    expect(after.filter((m) => m.includes('lethe.object_key(photo'))).toEqual([]);
    const plan = await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      return rows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN SELECT 1 FROM app.liveness_checks t WHERE lethe.object_key(t.photo::text, ${FACES}::text) = ${'2026/11/fresh.jpg'}`);
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
  });

  it('deletes the file with the last record that points to it, once that one is due; the deletions kept for it then record it gone', async () => {
    const later = { ...ctx, clock: fixedClock(new Date(NOW.getTime() + 30 * 86_400_000)) };
    const second = await sweep(later, rules, cfg, registry, { actor: 'operator:test' });
    expect(second.policies[0]).toMatchObject({ destroyed: 1, held: 1 });
    expect(second.objects).toEqual({ deleted: 2, notDeleted: 0, kept: 0 });
    expect(await s3.exists(FACES, '2026/11/fresh.jpg')).toBe(false);
    expect(await s3.exists(DOCS, 'proofs/fresh.pdf')).toBe(false);
    // Still held: its record and file stay.
    expect(await s3.exists(FACES, '2026/10/held.jpg')).toBe(true);
    // The two deletions kept for chk-dup-fresh are owed again, and settle as already gone.
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'pending'`)).toBe(2);
    const rt = objectRuntime(rules);
    try {
      expect(await retryDueObjects(later, rt)).toEqual({ deleted: 2, notDeleted: 0, kept: 0 });
    } finally {
      rt.close();
    }
    const gone = await rows<{ fields: Record<string, unknown> }>(t.db, sql`SELECT e.fields FROM lethe.evidence e
      WHERE e.action = 'object_deleted' AND e.record_ref IN (SELECT record_ref FROM lethe.object_deletions d JOIN lethe.batches b ON b.id = d.batch_id
        WHERE d.table_name IN ('app.liveness_checks', 'app.attachments') AND d.status = 'deleted' AND d.attempts > 1)`);
    expect(gone.map((g) => g.fields.absent)).toEqual([true, true]);
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'kept'`)).toBe(1);
    expect((await verifyEvidence(t.db, ctx.keys)).ok).toBe(true);
  });

  it('asks again a day later: a file whose other record went outside lethe is deleted then, with its one record', async () => {
    // The lender's own application deletes the held check's row (a hold binds lethe, not the lender).
    await t.db.execute(sql`DELETE FROM app.attachments WHERE check_id = 'chk-held'`);
    await t.db.execute(sql`DELETE FROM app.liveness_checks WHERE check_id = 'chk-held'`);
    // It was kept at NOW: not asked again within the day.
    const sameDay = { ...ctx, clock: fixedClock(new Date(NOW.getTime() + 12 * 3_600_000)) };
    expect(await requeueKept(sameDay, sameDay.clock.now())).toBe(0);
    const nextDay = { ...ctx, clock: fixedClock(new Date(NOW.getTime() + 32 * 86_400_000)) };
    expect(await requeueKept(nextDay, nextDay.clock.now())).toBe(1);
    const rt = objectRuntime(rules);
    try {
      expect(await retryDueObjects(nextDay, rt)).toEqual({ deleted: 1, notDeleted: 0, kept: 0 });
    } finally {
      rt.close();
    }
    expect(await s3.exists(FACES, '2026/10/held.jpg')).toBe(false);
    expect(await count(t.db, 'lethe.object_deletions', sql`status IN ('kept', 'pending')`)).toBe(0);
    // Every deletion owed ended with exactly one evidence record.
    expect(await count(t.db, 'lethe.object_deletions', sql`status = 'deleted'`)).toBe(await count(t.db, 'lethe.evidence', sql`action = 'object_deleted'`));
    expect((await verifyEvidence(t.db, ctx.keys)).ok).toBe(true);
  });
});
