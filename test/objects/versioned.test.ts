// A versioned bucket keeps every old version and a delete marker after a plain DELETE: every one
// must go. s3rver has no versioning; these run against Ceph's radosgw, started on loopback by the
// fixture (.ci/run installs it), and are skipped with a message only on a machine without it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { deleteObject, remainingVersions } from '../../src/objects/client.ts';
import { assertVersioningMatches, objectRuntime } from '../../src/objects/service.ts';
import { silentLogger } from '../../src/log.ts';
import { skipWithoutRgw, startTestRgw, type TestRgw } from '../fixtures/rgw.ts';

describe.skipIf(skipWithoutRgw('test/objects/versioned.test.ts'))('versioned buckets on a real radosgw', () => {
  let rgw: TestRgw;
  const bucket = 'lethe-versioned';

  beforeAll(async () => {
    rgw = await startTestRgw();
    await rgw.bucket(bucket, { versioning: 'Enabled' });
  }, 120_000);
  afterAll(async () => {
    await rgw?.close();
  });

  const fresh = () => `lethe-test/${randomBytes(6).toString('hex')}`;

  it('deletes every version and delete marker of the key, keeps a key sharing its prefix, and the post-check finds none', async () => {
    const s = rgw.store('versioned', bucket);
    const key = `${fresh()}/自拍 one+two.jpg`;
    for (const body of ['v1', 'v2', 'v3']) await rgw.put(bucket, key, body);
    await rgw.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await rgw.put(bucket, `${key}.bak`, 'another key sharing the prefix');
    expect(await rgw.versions(bucket, key)).toHaveLength(4);
    expect(await remainingVersions(rgw.client, s, { bucket, key })).toBe(4);
    expect(await deleteObject(rgw.client, s, { bucket, key })).toEqual({ versions: 4, absent: false });
    expect(await rgw.versions(bucket, key)).toEqual([]);
    expect(await remainingVersions(rgw.client, s, { bucket, key })).toBe(0);
    expect(await rgw.versions(bucket, `${key}.bak`)).toHaveLength(1);
    // Once gone, a second attempt finds it absent (a retried job deletes nothing twice).
    expect(await deleteObject(rgw.client, s, { bucket, key })).toEqual({ versions: 0, absent: true });
  });

  it('follows the version list across pages and deletes past S3\'s 1000 keys per DeleteObjects', async () => {
    const s = rgw.store('versioned', bucket);
    const key = `${fresh()}/recording.wav`;
    let n = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (n < 1003) {
        n++;
        await rgw.put(bucket, key, `take ${n}`);
      }
    }));
    await rgw.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    // Keys sorting after it, listed in the same pages: they stay.
    for (const sibling of [`${key}.1`, `${key}~`]) await rgw.put(bucket, sibling);
    expect(await rgw.versions(bucket, key)).toHaveLength(1004);
    expect(await deleteObject(rgw.client, s, { bucket, key })).toEqual({ versions: 1004, absent: false });
    expect(await rgw.versions(bucket, key)).toEqual([]);
    for (const sibling of [`${key}.1`, `${key}~`]) expect(await rgw.versions(bucket, sibling)).toHaveLength(1);
  });

  it('a store declared versioned on a bucket never versioned, or with versioning suspended, still leaves nothing', async () => {
    await rgw.bucket('lethe-plain');
    const plain = rgw.store('plain', 'lethe-plain');
    const key = `${fresh()}/id-card.png`;
    expect(await rgw.put('lethe-plain', key)).toBe('null');
    expect(await deleteObject(rgw.client, plain, { bucket: 'lethe-plain', key })).toEqual({ versions: 1, absent: false });
    expect(await rgw.versions('lethe-plain', key)).toEqual([]);

    await rgw.bucket('lethe-suspended', { versioning: 'Enabled' });
    const suspended = rgw.store('suspended', 'lethe-suspended');
    for (const body of ['v1', 'v2']) await rgw.put('lethe-suspended', key, body);
    await rgw.client.send(new PutBucketVersioningCommand({ Bucket: 'lethe-suspended', VersioningConfiguration: { Status: 'Suspended' } }));
    // Written while suspended: the `null` version, beside the two kept from before.
    await rgw.put('lethe-suspended', key, 'v3');
    expect(await rgw.versions('lethe-suspended', key)).toHaveLength(3);
    expect(await deleteObject(rgw.client, suspended, { bucket: 'lethe-suspended', key })).toEqual({ versions: 3, absent: false });
    expect(await rgw.versions('lethe-suspended', key)).toEqual([]);
  });

  describe('the start-up check of each store\'s versioning', () => {
    const check = (stores: ReturnType<TestRgw['store']>[]) => {
      const rt = objectRuntime({ stores: rgw.registry(stores), policies: [] });
      return assertVersioningMatches(rt, silentLogger).finally(() => rt.close());
    };

    it('refuses a store declared unversioned on a bucket with versioning Enabled, Suspended, or Object Lock', async () => {
      await rgw.bucket('lethe-check-suspended', { versioning: 'Suspended' });
      await rgw.bucket('lethe-check-locked', { objectLock: true });
      await expect(check([rgw.store('v', bucket, { versioned: false })])).rejects.toThrow(/store v says versioned: false but bucket lethe-versioned has versioning Enabled/);
      await expect(check([rgw.store('s', 'lethe-check-suspended', { versioned: false })])).rejects.toThrow(/versioning Suspended/);
      await expect(check([rgw.store('l', 'lethe-check-locked', { versioned: false })])).rejects.toThrow(/versioning Enabled.*set versioned: true/);
      // One bad store among good ones is enough.
      await expect(check([rgw.store('ok', bucket), rgw.store('bad', bucket, { versioned: false })])).rejects.toThrow(/store bad/);
    });

    it('lets through a store declared unversioned on a bucket never versioned, and any store declared versioned', async () => {
      await rgw.bucket('lethe-check-plain');
      await expect(check([
        rgw.store('plain', 'lethe-check-plain', { versioned: false }), rgw.store('plain-v', 'lethe-check-plain'), rgw.store('v', bucket),
      ])).resolves.toBeUndefined();
    });
  });
});
