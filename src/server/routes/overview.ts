// `GET /`: the retention overview page. A browser cannot send a bearer header: opened without
// one it shows the login form (POST /login sets the session cookie the dashboard shares); the
// token as `?token=` (QUERY_TOKEN_ROUTES in roles.ts) works too. The page is read-only, so a
// leaked link grants a viewer's sight and nothing more; the headers keep the URL out of caches
// and referrers, and the access log never records query strings.
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../app.ts';
import { secured, type RouteEnv } from '../route.ts';
import { loadOverview } from '../../overview/overview.ts';
import { renderOverviewHtml } from '../pages/overview.ts';

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // No script, no external asset, no framing: what the page needs and nothing else.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export function registerOverviewRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'GET /', async (_request, reply) => {
    const overview = await loadOverview(deps.ctx, deps.rules, deps.ctx.clock.now(), deps.config.timeZone);
    void reply.headers(PAGE_HEADERS);
    return renderOverviewHtml(overview);
  });
}
