// The BullMQ dashboard (bull-board) at /queues: login by API token for a signed session cookie,
// every one of its routes × every role against PREFIX_ROLES, and a viewer who cannot change a
// job where an operator can (the job's state in Redis says which).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL, createQueuePrefix, waitFor } from '../helpers.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { DASHBOARD_PREFIX, PREFIX_ROLES, prefixOf } from '../../src/server/roles.ts';
import { boardRoutes, collectBoard } from '../../src/server/dashboard/board.ts';
import { SESSION_COOKIE, SESSION_TTL_MS, readSession, sessionValue, setCookieHeader } from '../../src/server/dashboard/session.ts';
import { revokeToken, createToken, ROLES, type Role } from '../../src/tokens/tokens.ts';
import type { PartnerRegistry } from '../../src/partners/registry.ts';

const PARTNER = 'credit-bureau';
const registry = { file: 'test', partners: [{ id: PARTNER }], get: () => undefined } as unknown as PartnerRegistry;

let f: ServerFixture;
let app: FastifyInstance;
let q: ReturnType<typeof createQueuePrefix>;
let connection: Redis;
let purge: Queue;
const sessions = {} as Record<Role, string>;

beforeAll(async () => {
  f = await serverFixture('dashboard');
  q = createQueuePrefix('dashboard');
  app = buildServer({ ...f.deps({ LETHE_QUEUE_PREFIX: q.prefix }), partners: registry });
  await app.ready();
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  purge = new Queue('purge', { connection, prefix: q.prefix });
  for (const role of ROLES) sessions[role] = await login(f.tokens[role]);
});
afterAll(async () => {
  await app?.close();
  await purge?.close();
  connection?.disconnect();
  await q?.cleanup();
  await f?.drop();
});

const formPost = (token: string, headers: Record<string, string> = {}) => app.inject({
  method: 'POST', url: `${DASHBOARD_PREFIX}/login`, payload: `token=${encodeURIComponent(token)}`,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
});

async function login(token: string): Promise<string> {
  const r = await formPost(token);
  expect(r.statusCode).toBe(303);
  return new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(String(r.headers['set-cookie']))![1]!;
}

const asSession = (role: Role) => ({ cookie: `${SESSION_COOKIE}=${sessions[role]}` });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

/** A job that failed once, in the purge queue under this file's prefix. */
async function failedJob(): Promise<string> {
  const job = await purge.add('purge-batch', { batchId: 'b-dashboard' }, { attempts: 1 });
  const worker = new Worker('purge', async () => { throw new Error('boom'); }, { connection, prefix: q.prefix });
  try {
    await waitFor(async () => (await job.getState()) === 'failed', 10_000, 'job to fail');
  } finally {
    await worker.close();
  }
  return job.id!;
}

describe('dashboard login', () => {
  it('sends a browser without a session to the login form, and answers the API 401', async () => {
    f.logs.length = 0;
    const page = await get(`${DASHBOARD_PREFIX}/`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`${DASHBOARD_PREFIX}/login`);
    const api = await get(`${DASHBOARD_PREFIX}/api/queues`);
    expect(api.statusCode).toBe(401);
    expect(api.json().error.message).toContain('/queues/login');
    const form = await get(`${DASHBOARD_PREFIX}/login`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/queues/login">');
    const denials = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request denied');
    expect(denials.map((d) => d.status)).toEqual([303, 401]);
  });

  it('exchanges a token for a signed, HttpOnly, SameSite=Strict cookie that does not hold the token', async () => {
    f.logs.length = 0;
    const r = await formPost(f.tokens.viewer);
    expect(r.headers.location).toBe(`${DASHBOARD_PREFIX}/`);
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=tok-[0-9a-f]+\\.\\d+\\.[\\w-]{43}; Path=/; Max-Age=1800; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(f.tokens.viewer);
    // Over https (TLS, or a proxy a trusting server believes) the cookie is Secure too.
    expect(setCookieHeader({ protocol: 'https' } as FastifyRequest, 'v', 60_000)).toMatch(/; Secure$/);
    expect(f.logs.join('')).not.toContain(f.tokens.viewer);
  });

  it('refuses an unknown or revoked token and a cross-origin login, without logging the token', async () => {
    f.logs.length = 0;
    const unknown = `lethe_${'B'.repeat(43)}`;
    const bad = await formPost(unknown);
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(bad.body).toContain('unknown or revoked');
    const cross = await formPost(f.tokens.operator, { origin: 'https://evil.example' });
    expect(cross.statusCode).toBe(403);
    expect(cross.headers['set-cookie']).toBeUndefined();
    const log = f.logs.join('');
    expect(log).not.toContain(unknown);
    expect(log).not.toContain(f.tokens.operator);
    expect(log.match(/request denied/g)).toHaveLength(2);
  });

  it('a session ends when its token is revoked, when it expires, or when its cookie is altered', async () => {
    const t = await createToken(f.t.db, { name: 'short-lived', role: 'operator', actor: 'test' });
    const cookie = await login(t.token);
    expect((await get(`${DASHBOARD_PREFIX}/api/queues`, { cookie: `${SESSION_COOKIE}=${cookie}` })).statusCode).toBe(200);
    const forged = cookie.replace(/^tok-[0-9a-f]+/, 'tok-000000000000');
    expect((await get(`${DASHBOARD_PREFIX}/api/queues`, { cookie: `${SESSION_COOKIE}=${forged}` })).statusCode).toBe(401);
    await revokeToken(f.t.db, t.id);
    expect((await get(`${DASHBOARD_PREFIX}/api/queues`, { cookie: `${SESSION_COOKIE}=${cookie}` })).statusCode).toBe(401);

    const key = f.deps().ctx.keys.sessionKey;
    const now = new Date();
    const value = sessionValue(key, 'tok-abc123', now);
    expect(readSession(key, value, now)?.tokenId).toBe('tok-abc123');
    expect(readSession(key, value, new Date(now.getTime() + SESSION_TTL_MS + 1))).toBeUndefined();
    expect(readSession(Buffer.alloc(32), value, now)).toBeUndefined();
    expect(readSession(key, value.replace(/\.(\d+)\./, (_, ms: string) => `.${Number(ms) + 60_000}.`), now)).toBeUndefined();
  });

  it('logout clears the cookie', async () => {
    const r = await get(`${DASHBOARD_PREFIX}/logout`, asSession('viewer'));
    expect(r.statusCode).toBe(303);
    expect(String(r.headers['set-cookie'])).toMatch(/^lethe_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
  });
});

describe('dashboard for a viewer and an operator', () => {
  it('a viewer loads the page, its assets and the queues JSON: lethe\'s queues, read-only', async () => {
    const page = await get(`${DASHBOARD_PREFIX}/`, asSession('viewer'));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<base href="/queues/"');
    expect(page.body).not.toContain('fonts.googleapis.com');
    const script = /src="(static\/js\/[^"]+\.js)"/.exec(page.body)![1]!;
    const asset = await get(`${DASHBOARD_PREFIX}/${script}`, asSession('viewer'));
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get(`${DASHBOARD_PREFIX}/static/..%2f..%2fpackage.json`, asSession('viewer'))).statusCode).toBe(404);

    const api = await get(`${DASHBOARD_PREFIX}/api/queues`, asSession('viewer'));
    expect(api.statusCode).toBe(200);
    const queues = api.json().queues as { name: string; readOnlyMode: boolean }[];
    expect(queues.map((x) => x.name).sort()).toEqual([`partner-${PARTNER}`, 'purge', 'scan']);
    expect(queues.every((x) => x.readOnlyMode)).toBe(true);
    const asOperator = (await get(`${DASHBOARD_PREFIX}/api/queues`, asSession('operator'))).json().queues as { readOnlyMode: boolean }[];
    expect(asOperator.every((x) => !x.readOnlyMode)).toBe(true);
  });

  it('Redis\'s own report (version, OS, memory) is for operators only, by token or by session', async () => {
    const url = `${DASHBOARD_PREFIX}/api/redis/stats`;
    for (const role of ROLES.filter((r) => r !== 'operator')) {
      expect((await get(url, bearer(f.tokens[role]))).statusCode, role).toBe(403);
      const bySession = await get(url, asSession(role));
      expect(bySession.statusCode, role).toBe(403);
      expect(bySession.body, role).not.toMatch(/redis_version|used_memory|"os"/);
    }
    const op = await get(url, asSession('operator'));
    expect(op.statusCode).toBe(200);
    expect(op.body).toMatch(/version/);
  });

  it('a viewer cannot retry a failed job (403, still failed); an operator can (waiting)', async () => {
    const id = await failedJob();
    const retry = (role: Role, headers: Record<string, string> = {}) =>
      app.inject({ method: 'PUT', url: `${DASHBOARD_PREFIX}/api/queues/purge/${id}/retry`, headers: { ...asSession(role), ...headers } });
    f.logs.length = 0;
    for (const role of ['viewer', 'approver', 'auditor'] as const) {
      const r = await retry(role);
      expect(r.statusCode, role).toBe(403);
      expect(r.json().error.message).toContain('allowed roles: operator');
      expect(await (await purge.getJob(id))!.getState()).toBe('failed');
    }
    expect(f.logs.filter((l) => l.includes('request denied'))).toHaveLength(3);
    // A session cookie from another site's page is not the dashboard acting.
    expect((await retry('operator', { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect(await (await purge.getJob(id))!.getState()).toBe('failed');

    const ok = await retry('operator', { origin: 'http://localhost:80' });
    expect(ok.statusCode, ok.body).toBe(204);
    expect(await (await purge.getJob(id))!.getState()).toBe('waiting');
  });

  it('a viewer cannot clean (remove) a failed job; an operator can', async () => {
    const id = await failedJob();
    const clean = (role: Role) => app.inject({ method: 'PUT', url: `${DASHBOARD_PREFIX}/api/queues/purge/${id}/clean`, headers: asSession(role) });
    expect((await clean('viewer')).statusCode).toBe(403);
    expect(await purge.getJob(id)).toBeDefined();
    expect((await clean('operator')).statusCode).toBe(204);
    expect(await purge.getJob(id)).toBeUndefined();
  });
});

describe('dashboard roles: every route × every role', () => {
  const routes = boardRoutes(collectBoard(DASHBOARD_PREFIX), DASHBOARD_PREFIX);

  it('every dashboard route is registered and falls under PREFIX_ROLES', () => {
    expect(routes.length).toBeGreaterThan(30);
    for (const r of routes) {
      expect(app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url}`).toBe(true);
      expect(prefixOf(r.method, r.url), `${r.method} ${r.url}`).toBeDefined();
    }
  });

  for (const route of routes) {
    it(`roles on ${route.method} ${route.url}`, async () => {
      const allowed = PREFIX_ROLES[prefixOf(route.method, route.url)!] as readonly Role[];
      // Unknown queue and job: an allowed call gets past auth and changes nothing.
      const url = route.url.replace(':queueName', 'no-such-queue').replace(':queueStatus', 'failed').replace(/:\w+/g, 'none').replace('*', 'none.js');
      for (const role of ROLES) {
        const r: LightMyRequestResponse = await app.inject({
          method: route.method, url, headers: bearer(f.tokens[role]), ...(route.method === 'GET' ? {} : { payload: {} }),
        });
        if (allowed.includes(role)) expect([401, 403], `${role} ${route.method} ${url}: ${r.body}`).not.toContain(r.statusCode);
        else expect(r.statusCode, `${role} ${route.method} ${url}`).toBe(403);
      }
    });
  }
});
