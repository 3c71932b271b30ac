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
  'GET /': EVERYONE,
  'GET /openapi.json': EVERYONE,
} as const satisfies Record<RouteKey, readonly Role[]>;

export type SecuredRoute = keyof typeof ROUTE_ROLES;

/** Probes for load balancers and orchestrators: they say nothing about the data. */
export const PUBLIC_ROUTES: readonly RouteKey[] = ['GET /healthz', 'GET /readyz',
  // Partners hold no token: each receipt is HMAC-signed with the partner's shared secret and
  // checked by the route itself (src/server/routes/partners.ts).
  'POST /partners/:id/confirmations'];

/**
 * Routes that also accept the token as `?token=` (a browser cannot easily send a bearer header).
 * Read-only pages only: a token in a URL can end up in browser history.
 */
export const QUERY_TOKEN_ROUTES: readonly SecuredRoute[] = ['GET /'];

export function rolesFor(route: SecuredRoute): readonly Role[] {
  return ROUTE_ROLES[route];
}

export function splitRoute(route: RouteKey): { method: Method; url: string } {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space) as Method, url: route.slice(space + 1) };
}
