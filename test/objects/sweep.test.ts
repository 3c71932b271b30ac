// The files records point to go with the records: a sweep against a real S3-protocol server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, testConfig, type TestDb } from '../helpers.ts';
import { startTestS3, TEST_CREDENTIALS, type TestS3 } from '../fixtures/s3.ts';
import { CHECKS, DOCS, FACES, NOW, policyDir, seedWorld, uploaded } from './world.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys, recordRef, subjectRef } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { addHold } from '../../src/holds/holds.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { rows } from '../../src/db/sql.ts';
import { objectRef } from '../../src/objects/pointers.ts';
import { registry } from '../../jobs/index.ts';
import { plan } from '../../src/plan/plan.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { buildReport } from '../../src/report/report.ts';
import { loadOverview } from '../../src/overview/overview.ts';
import { renderOverviewHtml } from '../../src/server/pages/overview.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

Object.assign(process.env, TEST_CREDENTIALS);

describe('objects of destroyed records', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let s3: TestS3;
  let ctx: EngineContext;
  let rules: Ruleset;
  let result: Awaited<ReturnType<typeof sweep>>;
  let planned: Awaited<ReturnType<typeof plan>>;

  beforeAll(async () => {
    t = await createTestDb('objects');
    q = createQueuePrefix('objects');
    s3 = await startTestS3([FACES, DOCS]);
    await seedWorld(t.db);
    for (const o of uploaded()) await s3.put(o.bucket, o.key);
    const cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    const stores = s3.registry([s3.store('faces', FACES), s3.store('docs', DOCS)]);
    rules = (await buildRuleset(t.db, await loadPolicies(policyDir()), stores)).ruleset;
    await addHold(ctx, rules, { subject: 'P-HELD', reason: 'litigation', actor: 'test' });
    planned = await plan(ctx, rules, { now: NOW });
    result = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
  });
  afterAll(async () => {
    await s3?.close();
    await q?.cleanup();
    await t?.drop();
  });

  const objectEvidence = () => rows<{ action: string; table: string; record_ref: string; subject_ref: string | null; fields: Record<string, unknown> }>(t.db,
    sql`SELECT action, "table", record_ref, subject_ref, fields FROM lethe.evidence WHERE action LIKE 'object_%' ORDER BY seq`);

  it('deletes the files of due records and their child rows, and returns only once they are gone', async () => {
    expect(result.policies[0]).toMatchObject({ destroyed: 4, held: 1 });
    for (const key of ['2026/10/selfie one.jpg']) expect(await s3.exists(FACES, key)).toBe(false);
    for (const key of ['proofs/income 1.pdf', 'proofs/3.pdf']) expect(await s3.exists(DOCS, key)).toBe(false);
    expect(result.objects).toEqual({ deleted: 4, notDeleted: 0, kept: 0 });
    expect(await count(t.db, 'lethe.object_deletions', sql`status <> 'deleted'`)).toBe(0);
  });

  it('plan counted the files the sweep deleted (pointers of due, unheld records and their children)', () => {
    expect(planned[0]).toMatchObject({ due: 4, held: 1, objects: 4 });
  });

  it('leaves the files of held and not-yet-due records untouched', async () => {
    expect(await s3.exists(FACES, '2026/10/held.jpg')).toBe(true);
    expect(await s3.exists(DOCS, 'proofs/held.pdf')).toBe(true);
    expect(await s3.exists(FACES, '2026/11/fresh.jpg')).toBe(true);
    expect(await s3.exists(DOCS, 'proofs/fresh.pdf')).toBe(true);
    expect(await count(t.db, 'app.liveness_checks')).toBe(2);
  });

  it('writes one object_deleted record per file, absent ones flagged, with the store and refs only', async () => {
    const ev = await objectEvidence();
    expect(ev).toHaveLength(4);
    expect(ev.every((e) => e.action === 'object_deleted')).toBe(true);
    const byObject = new Map(ev.map((e) => [e.fields.object, e]));
    const ref = (store: string, bucket: string, key: string) => objectRef(ctx.keys, store, { bucket, key });
    const missing = byObject.get(ref('faces', FACES, '2026/10/never-uploaded.jpg'))!;
    expect(missing.fields).toMatchObject({ store: 'faces', versions: 0, absent: true });
    expect(missing.record_ref).toBe(recordRef(ctx.keys, 'app.liveness_checks', 'chk-due-2'));
    expect(missing.subject_ref).toBe(subjectRef(ctx.keys, 'P-002'));
    const selfie = byObject.get(ref('faces', FACES, '2026/10/selfie one.jpg'))!;
    expect(selfie.fields).toEqual({ store: 'faces', object: selfie.fields.object, versions: 1 });
    const child = byObject.get(ref('docs', DOCS, 'proofs/income 1.pdf'))!;
    expect(child.table).toBe('app.attachments');
    expect(child.subject_ref).toBe(subjectRef(ctx.keys, 'P-001'));
  });

  it('keeps no key or URI anywhere in lethe\'s schema once the files are gone', async () => {
    const dump = JSON.stringify(await rows(t.db, sql`SELECT e.*, o.* FROM lethe.evidence e FULL JOIN lethe.object_deletions o ON false`));
    for (const c of CHECKS) {
      for (const p of [c.photo, ...c.attachments]) {
        if (!p) continue;
        const key = p.replace(/^[a-z0-9]+:\/\/[^/]+\//, '');
        expect(dump).not.toContain(key);
        expect(dump).not.toContain(encodeURIComponent(key));
      }
    }
    expect(dump).not.toContain('selfie');
    expect(dump).not.toContain(FACES);
  });

  it('the register gives the files a line of their own, the report counts them per category', async () => {
    const lines = (await buildRegister(t.db, {})).flatMap((r) => r.policies);
    expect(lines.filter((l) => l.action === 'object_deleted').reduce((a, l) => a + l.records, 0)).toBe(4);
    const del = lines.find((l) => l.action === 'delete' && l.table === 'app.liveness_checks')!;
    // Child rows are the two attachments' rows (chk-due-1 has two, chk-due-3 one), never files.
    expect(del).toMatchObject({ records: 4, child_rows: 3 });
    const report = await buildReport(t.db, { from: new Date('2000-01-01'), to: new Date('2100-01-01') }, NOW);
    expect(report.evidence.objects_by_category).toEqual([{ key: 'face-image', deleted: 4, failed: 0 }]);
  });

  it('the overview page shows the files per store', async () => {
    const html = renderOverviewHtml(await loadOverview(ctx, rules, NOW, 'Asia/Shanghai'));
    expect(html).toMatch(/<tr data-store="faces"><td><code>faces<\/code><\/td><td class="n pending">0<\/td><td class="n">2<\/td><td class="n failed">0<\/td><td><\/td><\/tr>/);
    expect(html).toContain('data-store="docs"');
  });

  it('keeps the evidence chain intact', async () => {
    expect((await verifyEvidence(t.db, ctx.keys)).ok).toBe(true);
  });

  it('a second sweep finds nothing more to delete', async () => {
    const cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    const again = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    expect(again.objects).toEqual({ deleted: 0, notDeleted: 0, kept: 0 });
    expect((await objectEvidence()).length).toBe(4);
  });
});
