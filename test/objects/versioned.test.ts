// A versioned bucket: every version and delete marker of a file must go. s3rver has no
// versioning; these run against a server that has it, named by LETHE_TEST_VERSIONED_S3
// (`http://host:port`; credentials in LETHE_TEST_VERSIONED_S3_ACCESS_KEY / _SECRET_KEY, an empty
// bucket with versioning enabled in LETHE_TEST_VERSIONED_S3_BUCKET), and are skipped otherwise.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { deleteObject, remainingVersions, s3Client } from '../../src/objects/client.ts';
import { ObjectRuntime } from '../../src/objects/deliver.ts';
import { assertVersioningMatches } from '../../src/objects/service.ts';
import { makeStoreRegistry, type Store } from '../../src/objects/stores.ts';
import { silentLogger } from '../../src/log.ts';

const endpoint = process.env.LETHE_TEST_VERSIONED_S3;
const bucket = process.env.LETHE_TEST_VERSIONED_S3_BUCKET ?? 'lethe-versioned';
const credentials: Record<string, string | undefined> = {
  V_ACCESS: process.env.LETHE_TEST_VERSIONED_S3_ACCESS_KEY, V_SECRET: process.env.LETHE_TEST_VERSIONED_S3_SECRET_KEY,
};
if (!endpoint) console.log('test/objects/versioned.test.ts: skipped — no S3 server with versioning here (set LETHE_TEST_VERSIONED_S3 to run it; s3rver has no versioning)');

describe.skipIf(!endpoint)('versioned buckets', () => {
  const store = (versioned: boolean): Store => ({ id: 'versioned', kind: 's3', endpoint: endpoint!, region: 'us-east-1', bucket,
    accessKeyEnv: 'V_ACCESS', secretKeyEnv: 'V_SECRET', pathStyle: true, versioned, maxConcurrency: 2, maxAttempts: 3, timeoutMs: 10_000, retryBaseMs: 100 });
  const lookup = (n: string) => credentials[n];

  it('deletes every version and delete marker, and the post-check finds none', async () => {
    const s = store(true);
    const client = s3Client(s, lookup);
    const key = `lethe-test/${randomBytes(6).toString('hex')}.jpg`;
    for (const body of ['v1', 'v2', 'v3']) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.bak`, Body: 'another key sharing the prefix' }));
    expect(await remainingVersions(client, s, { bucket, key })).toBe(4);
    expect(await deleteObject(client, s, { bucket, key })).toEqual({ versions: 4, absent: false });
    expect(await remainingVersions(client, s, { bucket, key })).toBe(0);
    expect(await remainingVersions(client, s, { bucket, key: `${key}.bak` })).toBe(1);
    await deleteObject(client, s, { bucket, key: `${key}.bak` });
    client.destroy();
  });

  it('refuses a store declared unversioned on a versioned bucket', async () => {
    const rt = new ObjectRuntime(makeStoreRegistry('stores.yaml', [store(false)], lookup));
    await expect(assertVersioningMatches(rt, silentLogger)).rejects.toThrow(/versioned: false but bucket .* has versioning Enabled/);
    rt.close();
  });
});
