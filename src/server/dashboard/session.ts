// The browser session of the overview page (`GET /`) and the queue dashboard (`/queues/`): a
// browser cannot add a bearer header (bull-board's page calls its own API from the browser), so
// `POST /login` (or `/queues/login`) exchanges an API token for a cookie, one for both. The
// cookie holds the token's id and an expiry, HMAC-signed with a key derived from LETHE_SECRET:
// never the token, so nothing that can call the rest of the API sits in the browser. Each request
// looks the token up again, so revoking it ends its sessions at once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'lethe_session';
/** Short: a forgotten browser tab stops being a way in within the hour. */
export const SESSION_TTL_MS = 30 * 60_000;

interface Session {
  tokenId: string;
  expiresAt: number;
}

const sign = (key: Buffer, payload: string): string => createHmac('sha256', key).update(`session:${payload}`).digest('base64url');

/** `<token id>.<expiry ms>.<hmac>`: ids are `tok-<hex>`, so no field holds a dot. */
export function sessionValue(key: Buffer, tokenId: string, now: Date): string {
  const payload = `${tokenId}.${now.getTime() + SESSION_TTL_MS}`;
  return `${payload}.${sign(key, payload)}`;
}

/** The session a cookie value names, if its signature holds and it has not expired. */
export function readSession(key: Buffer, value: string | undefined, now: Date): Session | undefined {
  const m = value ? /^(tok-[0-9a-f]+)\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
  if (!m) return undefined;
  const expected = Buffer.from(sign(key, `${m[1]}.${m[2]}`));
  const given = Buffer.from(m[3]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const expiresAt = Number(m[2]);
  return expiresAt > now.getTime() ? { tokenId: m[1]!, expiresAt } : undefined;
}

export function cookieOf(request: FastifyRequest, name: string = SESSION_COOKIE): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page can make the browser send
 * it, which is the dashboard's CSRF defence), Secure over https. Path=/ so the overview and the
 * dashboard share it; every other route reads only the Authorization header and ignores it.
 */
export function setCookieHeader(request: FastifyRequest, value: string, maxAgeMs: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Strict${secure}`;
}
