import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { count } from '../helpers.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { PUBLIC_ROUTES, ROUTE_ROLES, splitRoute, type SecuredRoute } from '../../src/server/roles.ts';
import { guardRoute } from '../../src/server/route.ts';
import { ROLES } from '../../src/tokens/tokens.ts';

const SUBJECT = 'SUBJ-4711-PRIVATE';

describe('lethe serve: HTTP edge', () => {
  let f: ServerFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    f = await serverFixture('server');
    app = buildServer(f.deps());
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await f?.drop();
  });

  const post = (url: string, token: string | undefined, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: token ? bearer(token) : {}, payload: payload as object });
  const logText = () => f.logs.join('');

  describe('probes', () => {
    it('/healthz answers without a token', async () => {
      const r = await app.inject({ method: 'GET', url: '/healthz' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ ok: true });
    });

    it('/readyz is 200 when PostgreSQL, Redis and the schema answer', async () => {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.json()).toEqual({ ok: true, checks: { postgres: 'ok', redis: 'ok', schema: 'ok' } });
      expect(r.statusCode).toBe(200);
    });

    it('/readyz is 503 naming redis when REDIS_URL points at a closed port', async () => {
      const port = await closedPort();
      const down = buildServer(f.deps({ REDIS_URL: `redis://127.0.0.1:${port}` }));
      try {
        const r = await down.inject({ method: 'GET', url: '/readyz' });
        expect(r.statusCode).toBe(503);
        expect(r.json()).toMatchObject({ ok: false, checks: { postgres: 'ok', redis: 'failed', schema: 'ok' } });
        expect(r.json().error.message).toContain('redis');
      } finally {
        await down.close();
      }
    });

    it('/readyz is 503 naming the schema when the database is behind this build', async () => {
      await f.t.db.execute(sql`UPDATE lethe.__migrations SET created_at = created_at - 1 WHERE created_at = (SELECT max(created_at) FROM lethe.__migrations)`);
      try {
        const r = await app.inject({ method: 'GET', url: '/readyz' });
        expect(r.statusCode).toBe(503);
        expect(r.json().checks).toEqual({ postgres: 'ok', redis: 'ok', schema: 'failed' });
        expect(logText()).toContain('run `lethe migrate`');
      } finally {
        await f.t.db.execute(sql`UPDATE lethe.__migrations SET created_at = created_at + 1 WHERE created_at = (SELECT max(created_at) FROM lethe.__migrations)`);
      }
    });
  });

  describe('authentication and roles', () => {
    it('401 without a token, with a malformed header, an unknown token and a revoked one', async () => {
      const cases: Record<string, string>[] = [
        {},
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer lethe_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        bearer(f.tokens.revoked),
      ];
      for (const headers of cases) {
        const r = await app.inject({ method: 'GET', url: '/erasure-requests', headers });
        expect(r.statusCode, JSON.stringify(headers)).toBe(401);
        expect(r.json().error.code).toBe('unauthenticated');
        expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });

    it('403 for a viewer on a mutation, and nothing is recorded', async () => {
      const r = await post('/erasure-requests', f.tokens.viewer, { subject: SUBJECT, ticket: 'T-403' });
      expect(r.statusCode).toBe(403);
      expect(r.json().error).toEqual({ code: 'forbidden', message: 'a viewer token may not call POST /erasure-requests; allowed roles: operator' });
      expect(await count(f.t.db, 'lethe.erasure_requests')).toBe(0);
    });

    it('each denial is logged with route and token id, never the token or the subject', async () => {
      f.logs.length = 0;
      await post('/erasure-requests', f.tokens.viewer, { subject: SUBJECT, ticket: 'T-log' });
      await app.inject({ method: 'GET', url: '/erasure-requests', headers: bearer(f.tokens.revoked) });
      const denials = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request denied');
      expect(denials).toHaveLength(2);
      expect(denials[0]).toMatchObject({ level: 40, method: 'POST', route: '/erasure-requests', status: 403 });
      expect(denials[0]!.token_id).toMatch(/^tok-/);
      expect(denials[1]).toMatchObject({ method: 'GET', route: '/erasure-requests', status: 401 });
      const text = logText();
      for (const token of Object.values(f.tokens)) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(token.slice('lethe_'.length, 20));
      }
      expect(text).not.toContain(SUBJECT);
    });

    // Every secured route × every role: allowed roles get past auth, the others get 403.
    for (const route of Object.keys(ROUTE_ROLES) as SecuredRoute[]) {
      it(`roles on ${route}`, async () => {
        const { method, url } = splitRoute(route);
        for (const role of ROLES) {
          const r = await app.inject({
            method, url: url.replace(':id', 'er-unknown'), headers: bearer(f.tokens[role]),
            ...(method === 'POST' ? { payload: { subject: SUBJECT, ticket: `T-${role}`, purpose: 'marketing' } } : {}),
          });
          const allowed = (ROUTE_ROLES[route] as readonly string[]).includes(role);
          if (allowed) expect([401, 403], `${role} ${route}`).not.toContain(r.statusCode);
          else expect(r.statusCode, `${role} ${route}`).toBe(403);
        }
      });
    }

    it('every route is either public or in the role table; an unlisted route cannot be registered', async () => {
      for (const key of [...PUBLIC_ROUTES, ...Object.keys(ROUTE_ROLES)]) {
        expect(app.hasRoute(splitRoute(key as SecuredRoute)), key).toBe(true);
      }
      const bare = Fastify();
      bare.addHook('onRoute', guardRoute);
      expect(() => bare.get('/secret-admin', async () => 'x')).toThrow(/GET \/secret-admin is neither in PUBLIC_ROUTES nor registered with secured/);
      // Listed in the table, but registered without the auth hook: refused as well.
      expect(() => bare.get('/erasure-requests', async () => [])).toThrow(/neither in PUBLIC_ROUTES/);
      await bare.close();
    });
  });

  describe('bad input: 4xx with a clear message, nothing recorded', () => {
    it('413 for a body over 64 KiB', async () => {
      const r = await post('/erasure-requests', f.tokens.operator, { subject: 'x'.repeat(70 * 1024), ticket: 'T-big' });
      expect(r.statusCode).toBe(413);
      expect(r.json().error).toEqual({ code: 'payload_too_large', message: 'request body is larger than 64 KiB' });
    });

    it('400 for malformed JSON', async () => {
      const r = await app.inject({
        method: 'POST', url: '/erasure-requests', payload: '{"subject": "1000042", "ticket": ',
        headers: { ...bearer(f.tokens.operator), 'content-type': 'application/json' },
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toEqual({ code: 'invalid_json', message: 'request body is not valid JSON' });
    });

    it('400 naming the missing field, the wrong one, and an unknown one', async () => {
      const enqueuedBefore = f.enqueued.length;
      const missing = await post('/erasure-requests', f.tokens.operator, { ticket: 'T-1' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toEqual({ code: 'invalid_body', message: '"subject" is required' });

      const wrong = await post('/events/consent-withdrawn', f.tokens.operator, { subject: 1000042, purpose: '', withdrawn_at: 'yesterday' });
      expect(wrong.statusCode).toBe(400);
      const msg = wrong.json().error.message as string;
      expect(msg).toContain('"subject" must be a string');
      expect(msg).toContain('"purpose" must not be empty');
      expect(msg).toContain('"withdrawn_at" must be an ISO 8601 date-time');

      const typo = await post('/events/consent-withdrawn', f.tokens.operator, { subject: '1000042', purpose: 'marketing', withdrawnAt: '2026-01-01T00:00:00Z' });
      expect(typo.statusCode).toBe(400);
      expect(typo.json().error.message).toBe('unknown field "withdrawnAt"');

      // Another spelling of an id is refused naming the one to use (src/subjects/canonical.ts).
      const spaced = await post('/erasure-requests', f.tokens.operator, { subject: ' 1000042', ticket: 'T-2' });
      expect(spaced.statusCode).toBe(400);
      expect(spaced.json().error.message).toMatch(/is not written the way policy [\w-]+'s subject column \(\w+, bigint\) holds it: .*; give it as 1000042$/);

      const long = await post('/erasure-requests', f.tokens.operator, { subject: '9'.repeat(129), ticket: 'T-3' });
      expect(long.json().error.message).toBe('"subject" must be at most 128 characters');

      const array = await post('/erasure-requests', f.tokens.operator, [{ subject: '1', ticket: 'T' }]);
      expect(array.json().error.message).toBe('request body must be a JSON object');

      expect(await count(f.t.db, 'lethe.erasure_requests')).toBe(0);
      expect(f.enqueued).toHaveLength(enqueuedBefore);
    });

    it('415 for a body that is not JSON, 404 JSON for an unknown endpoint', async () => {
      const r = await app.inject({ method: 'POST', url: '/erasure-requests', payload: 'subject=1', headers: { ...bearer(f.tokens.operator), 'content-type': 'text/plain' } });
      expect(r.statusCode).toBe(415);
      expect(r.json().error.code).toBe('unsupported_media_type');
      const nf = await app.inject({ method: 'GET', url: '/nothing-here?x=1' });
      expect(nf.statusCode).toBe(404);
      expect(nf.json().error).toEqual({ code: 'not_found', message: 'no endpoint GET /nothing-here' });
    });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
