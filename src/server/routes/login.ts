// The browser login: an API token posted in a form (in the body, never the URL, where it would
// stay in history and proxy logs) is exchanged for the session cookie that the overview page and
// the queue dashboard share (src/server/dashboard/session.ts). `/login` lands on the overview,
// `/queues/login` on the dashboard; a safe `next` path (the page that sent the browser here)
// wins over both.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../app.ts';
import { DASHBOARD_PREFIX } from '../roles.ts';
import { publicRoute, type RouteEnv } from '../route.ts';
import { HttpError } from '../errors.ts';
import { verifyToken } from '../../tokens/tokens.ts';
import { SESSION_TTL_MS, sessionValue, setCookieHeader } from '../dashboard/session.ts';
import { renderLoginPage } from '../dashboard/login-page.ts';

interface Login { url: `/${string}`; landing: string; logout: `/${string}`; title: string }

export const OVERVIEW_LOGIN: Login = { url: '/login', landing: '/', logout: '/logout', title: 'lethe: retention overview' };
export const DASHBOARD_LOGIN: Login = { url: `${DASHBOARD_PREFIX}/login`, landing: `${DASHBOARD_PREFIX}/`, logout: `${DASHBOARD_PREFIX}/logout`, title: 'lethe queues' };
const LOGINS = [OVERVIEW_LOGIN, DASHBOARD_LOGIN];

const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
const LOGIN_HEADERS = {
  'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff', 'content-security-policy': LOGIN_CSP,
};

/** Where a login may send the browser on: this server's own pages (overview, API page, dashboard), never elsewhere. */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 200) return undefined;
  const page = next === '/' || next === '/docs' || next.startsWith(`${DASHBOARD_PREFIX}/`);
  return /^\/(?!\/)[A-Za-z0-9/_.~-]*$/.test(next) && page ? next : undefined;
}

/** An action through a cookie must come from a page of this server (the browser sends the cookie on its own). */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return origin === undefined || origin === `${request.protocol}://${request.host}`;
}

export function sendLoginPage(reply: FastifyReply, status: number, login: Login, opts: { message?: string; next?: string } = {}): FastifyReply {
  return reply.code(status).headers(LOGIN_HEADERS).send(renderLoginPage(login.url, { title: login.title, ...opts }));
}

export function registerLoginRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  const posts = new Set(LOGINS.map((l) => l.url));
  // Form posts to the login routes only: every other route keeps refusing a body that is not JSON.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!posts.has(request.routeOptions.url as `/${string}`)) {
      return done(new HttpError(415, 'unsupported_media_type', 'request body must be sent as Content-Type: application/json'));
    }
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  for (const login of LOGINS) {
    publicRoute(app, `GET ${login.url}`, async (request, reply) =>
      sendLoginPage(reply, 200, login, { next: safeNext((request.query as Record<string, unknown> | undefined)?.next) }));
    publicRoute(app, `POST ${login.url}`, async (request, reply) => {
      const body = request.body as Record<string, unknown> | undefined;
      const next = safeNext(body?.next);
      const deny = (status: 401 | 403, reason: string, message: string) => {
        env.log.warn({ method: 'POST', route: login.url, status, reason }, 'request denied');
        return sendLoginPage(reply, status, login, { message, ...(next ? { next } : {}) });
      };
      if (!sameOrigin(request)) return deny(403, 'cross-origin login', 'Log in from this server\'s own login page.');
      const principal = typeof body?.token === 'string' ? await verifyToken(env.db, body.token.trim()) : undefined;
      if (!principal) return deny(401, 'unknown or revoked token', 'That token is unknown or revoked.');
      env.log.info({ token_id: principal.id, role: principal.role }, 'browser session started');
      const cookie = setCookieHeader(request, sessionValue(deps.ctx.keys.sessionKey, principal.id, deps.ctx.clock.now()), SESSION_TTL_MS);
      return reply.header('set-cookie', cookie).header('cache-control', 'no-store').redirect(next ?? login.landing, 303);
    });
    publicRoute(app, `GET ${login.logout}`, async (request, reply) =>
      reply.header('set-cookie', setCookieHeader(request, '', 0)).header('cache-control', 'no-store').redirect(login.url, 303));
  }
}
