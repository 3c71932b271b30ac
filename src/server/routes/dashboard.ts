// The BullMQ dashboard (bull-board) at /queues. Its page calls its own API from the browser, so
// it authenticates by a session cookie that `POST /queues/login` hands out for an API token
// (src/server/dashboard/session.ts); an `Authorization: Bearer` header works as well, for scripts.
// Every route comes from bull-board's own list and is registered with `securedUnder`, so roles
// come from PREFIX_ROLES: reads for every role, actions for operators, and everyone else sees a
// read-only board.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../app.ts';
import { DASHBOARD_PREFIX } from '../roles.ts';
import { securedUnder, type RouteEnv } from '../route.ts';
import { bearerToken, denier } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { principalById, verifyToken, type Principal, type Role } from '../../tokens/tokens.ts';
import { DashboardQueues, boardRoutes, collectBoard, readAsset, renderEntry } from '../dashboard/board.ts';
import { cookieOf, readSession } from '../dashboard/session.ts';
import { DASHBOARD_LOGIN, sameOrigin } from './login.ts';
import { loadPartnerRegistry } from '../../partners/registry.ts';

const BASE = DASHBOARD_PREFIX;
const LOGIN = DASHBOARD_LOGIN.url;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Not no-referrer: with it a browser sends `Origin: null` on the page's own POSTs and PUTs,
  // and the origin check below could not tell them from another site's.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  // bull-board's bundle and styles from this server only; its config is a JSON <script> (not run).
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
    "connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
};

export function registerDashboardRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  const board = collectBoard(BASE);
  const registry = deps.partners ?? loadPartnerRegistry(deps.config.partnersFile);
  const queues = new DashboardQueues({
    redisUrl: deps.config.redisUrl, prefix: deps.config.queuePrefix, partnerIds: registry.partners.map((p) => p.id), log: env.log,
  });
  app.addHook('onClose', () => queues.close());
  const auth = dashboardAuth(deps, env);
  const entryHtml = renderEntry(board, BASE);

  for (const route of boardRoutes(board, BASE)) {
    securedUnder(app, route.method, route.url, auth, async (request, reply) => {
      if (route.kind === 'page') return reply.headers(PAGE_HEADERS).send(entryHtml);
      if (route.kind === 'asset') {
        const asset = await readAsset(board, (request.params as { '*': string })['*']);
        if (!asset) throw new HttpError(404, 'not_found', `no dashboard asset ${request.url.split('?')[0]}`);
        return reply.headers({ 'content-type': asset.type, 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' }).send(asset.body);
      }
      const response = await route.api.handler({
        queues: queues.for(request.principal!.role), uiConfig: board.uiConfig,
        params: request.params as Record<string, unknown>, query: request.query as Record<string, unknown>,
        body: (request.body ?? {}) as Record<string, unknown>, headers: request.headers as Record<string, string | undefined>,
      });
      return reply.code(response.status ?? 200).send(response.body);
    });
  }
}

/** The page's own API routes answer 401 JSON; a page a person opens is sent to the login form. */
const isPage = (request: FastifyRequest) => request.method === 'GET' && !request.url.startsWith(`${BASE}/api/`) && !request.url.startsWith(`${BASE}/static/`);

function dashboardAuth(deps: ServerDeps, env: RouteEnv) {
  return (roles: readonly Role[]) => async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const deny = denier(env.log, request.method, request.routeOptions.url ?? BASE);
    const header = request.headers.authorization;
    let principal: Principal | undefined;
    if (header) {
      const token = bearerToken(header);
      if (!token) return deny(401, 'malformed header', 'the Authorization header must be "Bearer <token>"');
      principal = await verifyToken(env.db, token);
    } else {
      const session = readSession(deps.ctx.keys.sessionKey, cookieOf(request), deps.ctx.clock.now());
      principal = session && await principalById(env.db, session.tokenId);
      // A cookie is sent by the browser on its own: an action must come from a page of this server.
      if (principal && request.method !== 'GET' && !sameOrigin(request)) {
        return deny(403, 'cross-origin dashboard action', 'dashboard actions must come from the dashboard itself', principal.id);
      }
    }
    if (!principal) {
      if (!header && isPage(request)) {
        env.log.warn({ method: request.method, route: request.routeOptions.url, status: 303, reason: 'no session' }, 'request denied');
        return void reply.redirect(LOGIN, 303);
      }
      return deny(401, header ? 'unknown or revoked token' : 'no session',
        header ? 'the API token is unknown or revoked' : `no dashboard session: log in at ${LOGIN} with an API token`);
    }
    if (!roles.includes(principal.role)) {
      return deny(403, `role ${principal.role} not allowed`,
        `a ${principal.role} token may not ${request.method} ${request.routeOptions.url}; allowed roles: ${roles.join(', ')}`, principal.id);
    }
    request.principal = principal;
  };
}
