// What a policy's `objects:` column holds: `s3://bucket/key` (`oss://`, `cos://`, `obs://` are the
// same URI under the vendors' names) or a bare key in the store's bucket. A pointer lethe cannot
// place in its store fails the batch whole, before anything is destroyed: deleting the row would
// drop the only pointer and orphan the file forever.
import { sql, type SQL } from 'drizzle-orm';
import { PolicyChangedError } from '../errors.ts';
import { hmacHex, type Keys } from '../crypto/keys.ts';
import type { Store } from './stores.ts';

const SCHEMES = ['s3', 'oss', 'cos', 'obs'];
const URI = /^([a-z0-9]+):\/\/([^/]*)\/(.*)$/is;

/**
 * Thrown inside the purge transaction (which rolls back). A PolicyChangedError: the batch is
 * closed as failed at once, not retried — the data or the registry must change first. The
 * message names the policy, column and store, never the pointer.
 */
export class ObjectPointerError extends PolicyChangedError {
  override name = 'ObjectPointerError';
}

export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** Where the pointer leads; undefined for NULL or empty (no object); a reason string when refused. */
export function locate(value: string | null, store: Store): ObjectLocation | undefined | { refused: string } {
  if (value === null || value.trim() === '') return undefined;
  const m = URI.exec(value.trim());
  if (!m) {
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(value.trim());
    if (scheme && SCHEMES.includes(scheme[1]!.toLowerCase())) return { refused: 'names a bucket but no key (s3://bucket/key)' };
    if (scheme) return { refused: `is a ${scheme[1]}:// URI; allowed: ${SCHEMES.map((s) => `${s}://`).join(', ')} or a bare key` };
    return { bucket: store.bucket, key: value.replace(/^\/+/, '') };
  }
  const [, scheme, bucket, key] = m;
  if (!SCHEMES.includes(scheme!.toLowerCase())) return { refused: `is a ${scheme}:// URI; allowed: ${SCHEMES.map((s) => `${s}://`).join(', ')} or a bare key` };
  if (bucket !== store.bucket) return { refused: `names a bucket other than the store's (${store.bucket})` };
  if (key === '') return { refused: 'names a bucket but no key' };
  return { bucket: bucket!, key: key! };
}

/** The pseudonym of one object: evidence, logs and metrics carry this, never the key. */
export function objectRef(keys: Keys, storeId: string, loc: ObjectLocation): string {
  return hmacHex(keys.refKey, `object:${storeId}:${loc.bucket}/${loc.key}`);
}

/** Column alias of the n-th pointer column of a policy in a locking SELECT or RETURNING. */
export const pointerAlias = (i: number): string => `lethe_object_${i}`;

/** `, col AS lethe_object_0, …` for the columns given; empty when there are none. */
export function pointerColumns(columns: readonly string[], tableAlias: string): SQL {
  if (columns.length === 0) return sql``;
  return sql.join(columns.map((c, i) => sql`, ${sql.identifier(tableAlias)}.${sql.identifier(c)}::text AS ${sql.identifier(pointerAlias(i))}`), sql``);
}
