// Chaos: files in object storage across SIGKILLs of `lethe worker` processes, with a store that
// fails 30% of its requests. Every file of a destroyed record ends deleted with exactly one
// `object_deleted` record; no file of a held, floored or kept record is touched.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { waitFor } from '../helpers.ts';
import { startTestS3, TEST_CREDENTIALS } from '../fixtures/s3.ts';
import { rows } from '../../src/db/sql.ts';
import { objectRef } from '../../src/objects/pointers.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { TEST_SECRET } from '../helpers.ts';
import { CHAOS_BATCH, CHAOS_RECORDS, CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, chaosFile, dueLeft, expectExactlyOnce, seedChaosLender, seededRandom, sleep, sweepUnderFault } from './fixture.ts';

const f = chaosFile('objects');
/** Every due record has one file: a few thousand PUTs to set up at the CI size is enough. */
const RECORDS = Math.min(CHAOS_RECORDS, Number(process.env.CHAOS_OBJECT_RECORDS ?? 800));

it('every file of a destroyed record is deleted exactly once though workers die and the store fails 30% of requests', async () => {
  const began = Date.now();
  const random = seededRandom('objects');
  const s3 = await startTestS3(['docs']);
  f.cleanups.push(() => s3.close());
  const dir = mkdtempSync(join(tmpdir(), 'lethe-chaos-objects-'));
  const stores = join(dir, 'stores.yaml');
  writeFileSync(stores, `- { id: docs, kind: s3, endpoint: "${s3.endpoint}", bucket: docs, access_key_env: TEST_S3_ACCESS_KEY,
    secret_key_env: TEST_S3_SECRET_KEY, versioned: false, max_concurrency: 8, max_attempts: 50, retry_base_ms: 20, retry_max_ms: 2000, timeout_ms: 5000 }\n`);
  const env = chaosEnv(f.t, f.q.prefix, { LETHE_POLICIES: 'test/fixtures/chaos-objects', LETHE_STORES: stores, ...TEST_CREDENTIALS });
  const lender = await seedChaosLender(f.t, env, { records: RECORDS });
  // Each document points at s3://docs/<application id> (test/fixtures/bulk.ts).
  const docs = await rows<{ id: string; key: string; fate: string }>(f.t.db, sql`SELECT d.id::text,
      substring(d.storage_uri FROM '^s3://docs/(.*)$') AS key, e.fate
    FROM loan_application_documents d JOIN chaos_expected e ON e.id = d.application_id`);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < docs.length) await s3.put('docs', docs[next++]!.key);
  }));
  s3.fault = { failRate: 0.3, random: () => random.next() };

  const p = (f.pool = new WorkerPool(env, 3));
  p.start();
  await waitFor(async () => (await dueLeft(f.t.db)) < lender.due, CHAOS_TIMEOUT_MS / 2, 'the sweep to begin');
  const killSome = async () => {
    const victim = random.int(0, p.size - 1);
    await p.whenReady(victim);
    await sleep(random.int(100, Math.max(2000, CHAOS_BATCH * 5)));
    await p.kill(victim);
    p.restart(victim);
  };
  await sweepUnderFault(f.t.db, p, killSome);
  // The records are gone; their files follow, through more kills.
  const pending = async () => Number((await rows<{ n: string }>(f.t.db, sql`SELECT count(*)::text AS n FROM lethe.object_deletions WHERE status = 'pending'`))[0]!.n);
  // Three store calls an attempt, each failing 30%: some files need ten attempts or more.
  const end = began + CHAOS_TIMEOUT_MS - 45_000;
  for (let round = 0; (await pending()) > 0; round++) {
    if (Date.now() > end) throw new Error(`${await pending()} files still pending (kills: ${p.kills})\n${p.stderr()}`);
    if (round % 5 === 0 && p.kills < 12) await killSome();
    else await sleep(500);
  }
  expect(p.kills).toBeGreaterThan(0);
  expect(p.crashed()).toEqual([]);
  await p.stop();
  s3.fault = 'none';
  await expectExactlyOnce(f.t.db);

  // Files: one object_deleted per file of a destroyed record, none for any other, none failed.
  const keys = deriveKeys(TEST_SECRET);
  const ev = await rows<{ object: string; n: string }>(f.t.db, sql`SELECT fields->>'object' AS object, count(*)::text AS n
    FROM lethe.evidence WHERE action LIKE 'object_%' GROUP BY 1`);
  const byRef = new Map(ev.map((e) => [e.object, Number(e.n)]));
  expect(await rows(f.t.db, sql`SELECT 1 FROM lethe.evidence WHERE action = 'object_failed'`)).toEqual([]);
  const gone = new Set((await rows<{ id: string }>(f.t.db, sql`SELECT e.id::text FROM chaos_expected e
    WHERE NOT EXISTS (SELECT 1 FROM loan_applications a WHERE a.id = e.id)`)).map((r) => r.id));
  const docParent = new Map((await rows<{ id: string; app: string }>(f.t.db, sql`SELECT d.id::text, d.application_id::text AS app FROM loan_application_documents d`)).map((r) => [r.id, r.app]));
  let deleted = 0;
  for (const d of docs) {
    const ref = objectRef(keys, 'docs', { bucket: 'docs', key: d.key });
    const destroyed = !docParent.has(d.id);
    expect(byRef.get(ref) ?? 0, `evidence for file ${d.key} (${d.fate})`).toBe(destroyed ? 1 : 0);
    expect(await s3.exists('docs', d.key), `file ${d.key} (${d.fate})`).toBe(!destroyed);
    if (destroyed) deleted++;
  }
  expect(deleted).toBe([...gone].length);
  expect(byRef.size).toBe(deleted);
}, CHAOS_TIMEOUT_MS);
