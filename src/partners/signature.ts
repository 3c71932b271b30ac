// Both directions of the partner channel are signed the same way: HMAC-SHA256 under the
// partner's shared secret over `timestamp + "." + body`, the timestamp in Unix seconds. The
// timestamp inside the MAC makes a captured message useless after MAX_SKEW_MS; the body inside
// it binds the request id, so a receipt cannot be moved to another request.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER_TIMESTAMP = 'x-lethe-timestamp';
export const HEADER_SIGNATURE = 'x-lethe-signature';
export const HEADER_IDEMPOTENCY = 'idempotency-key';
/** A signed message older or newer than this is stale, whatever its signature. */
export const MAX_SKEW_MS = 5 * 60_000;

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** Headers for a signed JSON body sent at `now`. */
export function signedHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { 'content-type': 'application/json', [HEADER_TIMESTAMP]: timestamp, [HEADER_SIGNATURE]: sign(secret, timestamp, body) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad-signature' };

/** Constant-time check of a signature, then of the timestamp's freshness against `now`. */
export function verifySignature(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, now: Date): SignatureCheck {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  const want = Buffer.from(sign(secret, timestamp, body));
  const got = Buffer.from(signature);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'bad-signature' };
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > MAX_SKEW_MS) return { ok: false, reason: 'stale' };
  return { ok: true };
}
