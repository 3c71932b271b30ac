// Object deletion: N files in a local S3 server (s3rver on loopback), N rows in the object
// outbox as a purge would leave them, deleted by lethe's store workers (a BullMQ queue per store,
// max_concurrency as its global concurrency). Reports files deleted per second from the first
// job to the last settlement; each deletion is a HEAD, a DELETE and the post-check HEAD.
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { arrayParam, rows } from '../src/db/sql.ts';
import { loadConfig } from '../src/config.ts';
import { deriveKeys } from '../src/crypto/keys.ts';
import { systemClock } from '../src/clock.ts';
import { createLogger } from '../src/log.ts';
import { loadPolicies } from '../src/policy/load.ts';
import { buildRuleset } from '../src/policy/ruleset.ts';
import { makeStoreRegistry } from '../src/objects/stores.ts';
import { objectRef } from '../src/objects/pointers.ts';
import { startObjectService } from '../src/objects/service.ts';
import { deletionJobId } from '../src/objects/sweep.ts';
import { Queues, redisConnection } from '../src/pipeline/queues.ts';
import { registry as jobs } from '../jobs/index.ts';

const DB = 'lethe_bench_objects';
const BUCKET = 'bench-objects';
const SECRET = 'bench-objects-secret-0123456789abcdef0123456789';
const TIMEOUT_MS = 300_000;
/** Rows of the records' table that stay, each pointing to a file of its own. */
const KEPT_ROWS = 100_000;
/** The policy whose records' files the bench deletes: its `objects:` column is what is asked. */
const POLICY = `id: bench-documents
title: bench documents
category: face-image
classification: C3
basis: [个人信息保护法 第四十七条]
source:
  table: public.bench_documents
  key: id
  subject: customer_id
trigger:
  kind: expiry
  from: uploaded_at
retain: P30D
action: delete
objects:
  - { column: uri, store: bench }
`;

export interface ObjectBenchResult {
  files: number;
  deleted: number;
  failed: number;
  seconds: number;
  rate: number;
  maxConcurrency: number;
}

async function admin(host: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${host}/postgres` });
  await c.connect();
  try { await c.query(text); } finally { await c.end(); }
}

export async function runObjectBench(o: { host: string; files?: number; concurrency?: number; log: (m: string) => void }): Promise<ObjectBenchResult> {
  const total = o.files ?? 2000;
  const maxConcurrency = o.concurrency ?? 16;
  const url = `${o.host}/${DB}`;
  await admin(o.host, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(o.host, `CREATE DATABASE ${DB}`);
  await migrateServer(url);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-bench-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const prefix = `lethe-bench-objects-${process.pid}-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ database: true, secret: true }, { DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LETHE_SECRET: SECRET, LETHE_QUEUE_PREFIX: prefix, LOG_LEVEL: 'error' });
  const database = openPostgres(url, { maxConnections: maxConcurrency + 4 });
  const keys = deriveKeys(SECRET);
  const ctx = { db: database.db, keys, clock: systemClock, log: createLogger('error') };
  const stores = makeStoreRegistry('bench', [{ id: 'bench', kind: 's3', endpoint, region: 'us-east-1', bucket: BUCKET, accessKeyEnv: 'BENCH_KEY', secretKeyEnv: 'BENCH_SECRET',
    pathStyle: true, versioned: false, maxConcurrency, maxAttempts: 5, timeoutMs: 10_000, retryBaseMs: 100 }], () => 'S3RVER');
  // The records' table as a purge leaves it: their rows gone, other rows' files still pointed to —
  // so every deletion first asks whether a row still points to its file (src/objects/shared.ts),
  // an index lookup on lethe.object_key as `policies check --db` recommends.
  await database.db.execute(sql.raw(`CREATE TABLE public.bench_documents (id bigint PRIMARY KEY, customer_id bigint NOT NULL, uri text, uploaded_at timestamptz NOT NULL);
    INSERT INTO public.bench_documents SELECT g, g % 5000, 's3://${BUCKET}/kept/' || g || '.jpg', now() FROM generate_series(1, ${KEPT_ROWS}) g;
    CREATE INDEX ON public.bench_documents (uploaded_at, id); CREATE INDEX ON public.bench_documents (customer_id);
    CREATE INDEX ON public.bench_documents (lethe.object_key(uri, '${BUCKET}')); ANALYZE public.bench_documents;`));
  const policies = mkdtempSync(join(tmpdir(), 'lethe-bench-objects-policies-'));
  writeFileSync(join(policies, 'bench-documents.yaml'), POLICY);
  const { ruleset: rules } = await buildRuleset(database.db, await loadPolicies(policies), stores);
  rmSync(policies, { recursive: true, force: true });
  const connection = redisConnection(config.redisUrl);
  const queues = new Queues(connection, prefix);
  try {
    o.log(`objects: putting ${total} files into a local S3 server`);
    const names = Array.from({ length: total }, (_, i) => `bench/${String(i).padStart(7, '0')}.jpg`);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < names.length) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: names[next++]!, Body: 'x'.repeat(2048) }));
    }));
    const ids = names.map(() => randomUUID());
    const now = new Date();
    await database.db.execute(sql`INSERT INTO lethe.object_deletions (id, store_id, bucket, object_key, object_ref, run_id, batch_id, policy_id,
        policy_version, category, classification, trigger, actor, table_name, record_ref, next_attempt_at, created_at)
      SELECT u.id, 'bench', ${BUCKET}, u.k, u.ref, ${randomUUID()}::uuid, ${randomUUID()}::uuid, 'bench', 'bench', 'face-image', 'C3', 'expiry',
        'bench', 'public.bench_documents', u.ref, ${now}, ${now}
      FROM unnest(${arrayParam(ids)}::uuid[], ${arrayParam(names)}::text[], ${arrayParam(names.map((k) => objectRef(keys, 'bench', { bucket: BUCKET, key: k })))}::text[]) AS u(id, k, ref)`);
    const service = await startObjectService({ ...ctx, rules, config, enqueue: queues.enqueue }, jobs, { connection, prefix, queues, everyMs: 60_000 });
    const started = Date.now();
    try {
      for (const id of ids) await queues.enqueue('delete-object', { deletionId: id, storeId: 'bench' }, deletionJobId(id, 0));
      for (;;) {
        const [r] = await rows<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM lethe.object_deletions WHERE status = 'pending'`);
        if (Number(r!.n) === 0) break;
        if (Date.now() - started > TIMEOUT_MS) throw new Error(`objects bench: ${r!.n} files still pending after ${TIMEOUT_MS} ms`);
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      await service.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const [c] = await rows<{ d: string; f: string }>(database.db, sql`SELECT count(*) FILTER (WHERE status = 'deleted')::text AS d,
      count(*) FILTER (WHERE status = 'failed')::text AS f FROM lethe.object_deletions`);
    return { files: total, deleted: Number(c!.d), failed: Number(c!.f), seconds, rate: Number(c!.d) / seconds, maxConcurrency };
  } finally {
    await queues.close();
    connection.disconnect();
    client.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    await database.close();
    await admin(o.host, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

export function reportObjectBench(r: ObjectBenchResult): boolean {
  console.log(`object deletion            ${r.deleted} of ${r.files} files deleted (${r.failed} failed) in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(0)} files/s against a local S3 server (s3rver), max_concurrency ${r.maxConcurrency}; each file: a look for rows still pointing to it (${KEPT_ROWS} kept rows, indexed), HEAD, DELETE, post-check HEAD, one evidence record`);
  mkdirSync('bench/results', { recursive: true });
  const file = 'bench/results/latest.json';
  const prior = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> : {};
  writeFileSync(file, JSON.stringify({ ...prior, objects: { at: new Date().toISOString(), ...r } }, null, 2));
  return r.failed === 0 && r.deleted === r.files;
}
