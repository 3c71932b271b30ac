// Who may call what: the one table. Every route `lethe serve` registers is either public (no
// token) or listed here; buildServer refuses to start otherwise, so a new endpoint cannot ship
// without deciding its roles, and the role test can iterate this table.
import { ROLES, type Role } from '../tokens/tokens.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** `METHOD /path` exactly as registered, with fastify's `:param` syntax. */
export type RouteKey = `${Method} /${string}`;

const EVERYONE: readonly Role[] = ROLES;

export const ROUTE_ROLES = {
  'POST /events/consent-withdrawn': ['operator'],
  'POST /events/consent-granted': ['operator'],
  // Campaign, SMS and call-centre systems ask with a viewer token: an answer, never a value.
  'GET /suppressions/check': EVERYONE,
  'POST /suppressions/check': EVERYONE,
  'POST /erasure-requests': ['operator'],
  'GET /erasure-requests': EVERYONE,
  'GET /erasure-requests/:id': EVERYONE,
  'GET /metrics': EVERYONE,
  'GET /holds': EVERYONE,
  'POST /holds': ['operator'],
  'POST /holds/:id/release': ['operator'],
  'GET /plan': EVERYONE,
  'GET /evidence/export': ['auditor', 'operator'],
  'POST /purge-requests': ['operator'],
  'POST /purge-requests/:id/approve': ['approver'],
  'GET /purge-requests': EVERYONE,
  'GET /purge-requests/:id': EVERYONE,
  'GET /destruction-tasks': EVERYONE,
  'GET /destruction-tasks/:id': EVERYONE,
  'POST /destruction-tasks/:id/approve': ['approver'],
  'POST /destruction-tasks/:id/handover': ['operator'],
  // The witness confirms under their own token (src/tasks/steps.ts): an operator's.
  'POST /destruction-tasks/:id/confirm': ['operator'],
  'GET /': EVERYONE,
  'GET /openapi.json': EVERYONE,
  'GET /docs': EVERYONE,
} as const satisfies Record<RouteKey, readonly Role[]>;

export type SecuredRoute = keyof typeof ROUTE_ROLES;

/** Where the BullMQ dashboard (bull-board) is mounted: src/server/routes/dashboard.ts. */
export const DASHBOARD_PREFIX = '/queues';

/**
 * Route families whose paths a library decides (bull-board adds API routes between releases):
 * roles by method for every route under the prefix, registered with `securedUnder()`. Reading
 * the queues is for every role; bull-board's actions (retry, clean, remove, pause, add…) write
 * to Redis and need an operator. Lesser roles also get the board in read-only mode, so the page
 * offers them no action buttons. Redis's own report (version, OS, memory, clients) describes
 * the infrastructure, not the queues: operators only. The most specific entry wins.
 */
export const PREFIX_ROLES = {
  [`GET ${DASHBOARD_PREFIX}`]: EVERYONE,
  [`GET ${DASHBOARD_PREFIX}/api/redis/stats`]: ['operator'],
  [`PUT ${DASHBOARD_PREFIX}`]: ['operator'],
  [`POST ${DASHBOARD_PREFIX}`]: ['operator'],
  [`PATCH ${DASHBOARD_PREFIX}`]: ['operator'],
} as const satisfies Record<RouteKey, readonly Role[]>;

export type SecuredPrefix = keyof typeof PREFIX_ROLES;

/** The most specific prefix entry a route falls under (the path is the prefix, or below it), if any. */
export function prefixOf(method: string, url: string): SecuredPrefix | undefined {
  return (Object.keys(PREFIX_ROLES) as SecuredPrefix[])
    .filter((key) => {
      const p = splitRoute(key);
      return p.method === method && (url === p.url || url.startsWith(`${p.url}/`));
    })
    .sort((a, b) => b.length - a.length)[0];
}

/** Probes for load balancers and orchestrators: they say nothing about the data. */
export const PUBLIC_ROUTES: readonly RouteKey[] = ['GET /healthz', 'GET /readyz',
  // Partners hold no token: each receipt is HMAC-signed with the partner's shared secret and
  // checked by the route itself (src/server/routes/partners.ts).
  'POST /partners/:id/confirmations',
  // The login forms (overview and dashboard) and their exchange of an API token for a session
  // cookie, which check the token themselves; logout only clears the cookie.
  'GET /login', 'POST /login', 'GET /logout',
  `GET ${DASHBOARD_PREFIX}/login`, `POST ${DASHBOARD_PREFIX}/login`, `GET ${DASHBOARD_PREFIX}/logout`];

/**
 * Routes that also accept the token as `?token=` (a browser cannot easily send a bearer header).
 * Read-only pages only: a token in a URL can end up in browser history.
 */
export const QUERY_TOKEN_ROUTES: readonly SecuredRoute[] = ['GET /'];

/**
 * Read-only pages a browser opens: they also take the session cookie of `POST /login`, and a
 * browser that brings no credential at all gets the login form instead of a 401 JSON body.
 */
export const SESSION_ROUTES: readonly SecuredRoute[] = ['GET /', 'GET /docs'];

export function rolesFor(route: SecuredRoute): readonly Role[] {
  return ROUTE_ROLES[route];
}

export function splitRoute(route: RouteKey): { method: Method; url: string } {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space) as Method, url: route.slice(space + 1) };
}
