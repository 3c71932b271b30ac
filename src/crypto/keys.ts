import { createHmac } from 'node:crypto';

// One key per purpose, derived from LETHE_SECRET, so a pseudonym never doubles as a chain hash
// and a dashboard session cookie never as either.
export interface Keys {
  /** Pseudonymous references: subject_ref, record_ref, hold subjects. */
  readonly refKey: Buffer;
  /** Evidence row and seal hashes. */
  readonly evidenceKey: Buffer;
  /** Signs the queue dashboard's session cookies (src/server/dashboard/session.ts). */
  readonly sessionKey: Buffer;
  /**
   * Keys a manual purge's plan hash (src/purge/plan.ts): the plan lives in lethe's tables, and
   * whoever can write them must not be able to rewrite a plan and recompute its hash.
   */
  readonly planKey: Buffer;
  /**
   * Keys the suppression list's hashes (src/suppress/): of its own, because campaign systems
   * that match against an export are given it — and learn nothing of the other keys from it.
   */
  readonly suppressKey: Buffer;
}

export function deriveKeys(secret: string): Keys {
  const derive = (label: string) => createHmac('sha256', secret).update(label).digest();
  return Object.freeze({ refKey: derive('lethe/ref/v1'), evidenceKey: derive('lethe/evidence/v1'), sessionKey: derive('lethe/session/v1'),
    planKey: derive('lethe/plan/v1'), suppressKey: derive('lethe/suppress/v1') });
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** Pseudonym of a data subject: the same person gets the same ref across tables and policies. */
export function subjectRef(keys: Keys, subjectId: string): string {
  return hmacHex(keys.refKey, `subject:${subjectId}`);
}

/** Pseudonym of one row: schema-qualified table and primary key. */
export function recordRef(keys: Keys, qualifiedTable: string, key: string): string {
  return hmacHex(keys.refKey, `record:${qualifiedTable}:${key}`);
}
