// The S3 side of one deletion, through the official client: every S3-compatible store (AWS S3,
// MinIO, Ceph RGW, OSS, COS, OBS) answers these calls. A versioned bucket keeps every old version
// and a delete marker after a plain DELETE: there each version is listed and deleted by id.
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetBucketVersioningCommand, HeadObjectCommand,
  ListObjectVersionsCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { credentialsOf, type CredentialLookup, type Store } from './stores.ts';
import type { ObjectLocation } from './pointers.ts';
import { silenceSdkNodeWarning } from '../config.ts';

silenceSdkNodeWarning();

/** DeleteObjects takes at most this many keys per call (S3's limit). */
const DELETE_BATCH = 1000;

export interface DeleteResult {
  /** Versions (and delete markers) destroyed; 1 for an unversioned object that was there. */
  versions: number;
  /** Nothing was there to delete. */
  absent: boolean;
}

/**
 * A deletion the store refuses for a reason retrying will not fix soon: Object Lock or a
 * retention period, a bucket policy, wrong credentials. Tried a few times, then `object_failed`.
 */
export class ObjectRefusedError extends Error {
  override name = 'ObjectRefusedError';
}

/** Any other failure of a store call (outage, timeout, 5xx): retried with backoff. Its message holds no key. */
export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';
}

const REFUSED = new Set(['AccessDenied', 'InvalidObjectState', 'ObjectLocked', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'MethodNotAllowed']);

export function s3Client(store: Store, lookup?: CredentialLookup): S3Client {
  return new S3Client({
    endpoint: store.endpoint, region: store.region, forcePathStyle: store.pathStyle,
    credentials: credentialsOf(store, lookup),
    // lethe retries with its own backoff, kept in PostgreSQL: one HTTP try per attempt here.
    maxAttempts: 1,
    requestHandler: { requestTimeout: store.timeoutMs, connectionTimeout: store.timeoutMs },
  });
}

const statusOf = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/**
 * A reason fit for a log line, an evidence record and lethe's table: the error's code and
 * status, with the object's key and bucket removed wherever a server echoed them.
 */
export function describeS3Error(e: unknown, loc: ObjectLocation): string {
  const status = statusOf(e);
  const name = e instanceof Error ? e.name : 'Error';
  let text = e instanceof Error ? e.message : String(e);
  for (const secret of [loc.key, encodeURIComponent(loc.key), encodeURI(loc.key), loc.bucket]) {
    if (secret.length > 0) text = text.split(secret).join('…');
  }
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${text}`.slice(0, 300);
}

function classify(e: unknown, loc: ObjectLocation): never {
  const name = e instanceof Error ? e.name : '';
  const status = statusOf(e);
  if (e instanceof S3ServiceException && (REFUSED.has(name) || status === 403)) {
    throw new ObjectRefusedError(`${describeS3Error(e, loc)} — the store refuses the deletion (Object Lock or retention, a bucket policy, or the credentials)`, { cause: e });
  }
  throw new ObjectStoreError(describeS3Error(e, loc), { cause: e });
}

const notFound = (e: unknown) => statusOf(e) === 404 || (e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey'));

/** Whether the object (any version of it, on a versioned store) still exists. */
export async function remainingVersions(client: S3Client, store: Store, loc: ObjectLocation): Promise<number> {
  try {
    if (store.versioned) return (await listVersions(client, loc)).length;
    await client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    return 1;
  } catch (e) {
    if (notFound(e)) return 0;
    return classify(e, loc);
  }
}

async function listVersions(client: S3Client, loc: ObjectLocation): Promise<{ Key: string; VersionId: string }[]> {
  const out: { Key: string; VersionId: string }[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: loc.bucket, Prefix: loc.key, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
    // A prefix also matches longer keys (`a.jpg` and `a.jpg.bak`): only this exact key goes.
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (v.Key === loc.key && v.VersionId) out.push({ Key: v.Key, VersionId: v.VersionId });
    }
    if (!page.IsTruncated) return out;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

/** Deletes the object and, on a versioned store, every version and delete marker of it. */
export async function deleteObject(client: S3Client, store: Store, loc: ObjectLocation): Promise<DeleteResult> {
  try {
    if (!store.versioned) {
      const there = await remainingVersions(client, store, loc);
      if (there === 0) return { versions: 0, absent: true };
      await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      return { versions: 1, absent: false };
    }
    const versions = await listVersions(client, loc);
    if (versions.length === 0) return { versions: 0, absent: true };
    for (let i = 0; i < versions.length; i += DELETE_BATCH) {
      const chunk = versions.slice(i, i + DELETE_BATCH);
      const r = await client.send(new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: chunk, Quiet: true } }));
      const err = r.Errors?.[0];
      if (err) {
        classify(new S3ServiceException({ name: err.Code ?? 'DeleteError', $fault: 'client', $metadata: {}, message: err.Message ?? 'a version was not deleted' }), loc);
      }
    }
    return { versions: versions.length, absent: false };
  } catch (e) {
    if (e instanceof ObjectRefusedError || e instanceof ObjectStoreError) throw e;
    return classify(e, loc);
  }
}

/** What the bucket says of its versioning: `Enabled`, `Suspended`, or undefined (never enabled, or the server cannot say). */
export async function bucketVersioning(client: S3Client, store: Store): Promise<string | undefined> {
  try {
    const r = await client.send(new GetBucketVersioningCommand({ Bucket: store.bucket }));
    return r.Status;
  } catch {
    return undefined;
  }
}
