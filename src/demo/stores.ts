// The demo's object storage: a real S3-protocol server (s3rver, on disk under .lethe/) on
// loopback holding the reference lender's face images and sales recordings, so the demo shows
// the files going with their records — and the kept ones staying.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';
import { loadStoreRegistry, makeStoreRegistry, type Store, type StoreRegistry } from '../objects/stores.ts';
import { locate } from '../objects/pointers.ts';
import { remainingVersions } from '../objects/client.ts';
import { silenceSdkNodeWarning } from '../config.ts';

/** The buckets the reference lender's URIs name (src/lender/records.ts, loans.ts), by the pack's store ids. */
const LENDER_BUCKETS: Record<string, string> = {
  'face-images': 'lender-face',
  'loan-documents': 'lender-loan-docs',
  'sales-recordings': 'lender-sales-recordings',
};
/** The files the demo puts into storage: face images and recordings (documents are left absent). */
const UPLOADED: { table: string; column: string }[] = [
  { table: 'face_verifications', column: 'image_uri' },
  { table: 'sales_recordings', column: 'storage_uri' },
];
const DEMO_KEY = 'S3RVER';
const UPLOAD_LANES = 16;

export interface DemoStoreReport {
  store: string;
  bucket: string;
  /** Files put into the store before the sweep. */
  uploaded: number;
  /** Of those, still there after the sweep and the erasure (their records were kept). */
  left: number;
  /** What the outbox says: deleted (of which already absent), still pending, failed. */
  deleted: number;
  absent: number;
  pending: number;
  failed: number;
}

export interface DemoStores {
  readonly registry: StoreRegistry;
  upload(db: Executor): Promise<void>;
  report(db: Executor): Promise<DemoStoreReport[]>;
  close(): Promise<void>;
}

export async function startDemoStores(policies: readonly Policy[], storesFile: string, dir: string): Promise<DemoStores> {
  silenceSdkNodeWarning();
  const named = new Set(policies.flatMap((p) => [...p.objects, ...p.children.flatMap((c) => c.objects)]).map((o) => o.store));
  const file = loadStoreRegistry(storesFile);
  const buckets = new Map([...named].map((id) => [id, file.get(id)?.bucket ?? LENDER_BUCKETS[id] ?? id]));
  const data = join(dir, 's3');
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: data, silent: true,
    configureBuckets: [...new Set(buckets.values())].map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const stores: Store[] = [...buckets].map(([id, bucket]) => ({
    id, kind: 's3', endpoint, region: 'us-east-1', bucket, accessKeyEnv: 'LETHE_DEMO_S3_ACCESS_KEY', secretKeyEnv: 'LETHE_DEMO_S3_SECRET_KEY',
    pathStyle: true, versioned: false, maxConcurrency: 8, maxAttempts: 3, timeoutMs: 10_000, retryBaseMs: 500,
  }));
  const registry = makeStoreRegistry(`${endpoint} (lethe demo)`, stores, () => DEMO_KEY);
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: DEMO_KEY, secretAccessKey: DEMO_KEY } });
  const uploaded = new Map<string, { store: Store; keys: string[] }>();
  const storeOf = (table: string, column: string) => {
    for (const p of policies) {
      if (p.source.table === table) { const o = p.objects.find((x) => x.column === column); if (o) return registry.get(o.store); }
    }
    return undefined;
  };
  return {
    registry,
    async upload(db) {
      for (const u of UPLOADED) {
        const store = storeOf(u.table, u.column);
        if (!store) continue;
        const values = await rows<{ v: string }>(db, sql`SELECT ${sql.identifier(u.column)} AS v FROM ${sql.identifier(u.table)} WHERE ${sql.identifier(u.column)} IS NOT NULL`);
        const keys = values.map((r) => locate(r.v, store)).flatMap((l) => (l && !('refused' in l) ? [l.key] : []));
        let next = 0;
        await Promise.all(Array.from({ length: UPLOAD_LANES }, async () => {
          while (next < keys.length) {
            const key = keys[next++]!;
            await client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: `synthetic ${u.table} file for the lethe demo` }));
          }
        }));
        uploaded.set(store.id, { store, keys: [...(uploaded.get(store.id)?.keys ?? []), ...keys] });
      }
    },
    async report(db) {
      const counts = new Map((await rows<Record<string, string>>(db, sql`SELECT store_id, count(*) FILTER (WHERE status = 'deleted')::text AS deleted,
          count(*) FILTER (WHERE absent)::text AS absent, count(*) FILTER (WHERE status = 'pending')::text AS pending,
          count(*) FILTER (WHERE status = 'failed')::text AS failed FROM lethe.object_deletions GROUP BY store_id`)).map((r) => [r.store_id!, r]));
      const out: DemoStoreReport[] = [];
      for (const store of stores) {
        const keys = uploaded.get(store.id)?.keys ?? [];
        let left = 0;
        for (const key of keys) left += (await remainingVersions(client, store, { bucket: store.bucket, key })) > 0 ? 1 : 0;
        const c = counts.get(store.id);
        out.push({ store: store.id, bucket: store.bucket, uploaded: keys.length, left,
          deleted: Number(c?.deleted ?? 0), absent: Number(c?.absent ?? 0), pending: Number(c?.pending ?? 0), failed: Number(c?.failed ?? 0) });
      }
      return out;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
