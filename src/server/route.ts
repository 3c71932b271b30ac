// Registers a route from the role table: the route's key decides method, path and roles, and
// the auth hook is attached here, so no secured route can be added without it.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Executor } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { authenticate } from './auth.ts';
import { PUBLIC_ROUTES, ROUTE_ROLES, rolesFor, splitRoute, type RouteKey, type SecuredRoute } from './roles.ts';

export interface RouteEnv {
  db: Executor;
  log: Logger;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Marks a route registered through `secured`, so the onRoute guard can tell. */
const SECURED = Symbol('lethe.secured');

export function secured(app: FastifyInstance, env: RouteEnv, route: SecuredRoute, handler: Handler): void {
  const { method, url } = splitRoute(route);
  app.route({ method, url, config: { [SECURED]: route }, onRequest: authenticate(env.db, env.log, route, rolesFor(route)), handler });
}

export function publicRoute(app: FastifyInstance, route: RouteKey, handler: Handler): void {
  const { method, url } = splitRoute(route);
  app.route({ method, url, handler });
}

/**
 * onRoute hook: every route is public by the table or registered through `secured`. Throwing
 * here stops buildServer, so a forgotten role decision fails at start-up, not in production.
 */
export function guardRoute(opts: RouteOptions): void {
  const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
  for (const m of methods) {
    const key = `${m} ${opts.url}` as RouteKey;
    const isPublic = PUBLIC_ROUTES.includes(key);
    const isSecured = key in ROUTE_ROLES && (opts.config as Record<symbol, unknown> | undefined)?.[SECURED] === key;
    if (!isPublic && !isSecured) {
      throw new Error(`route ${key} is neither in PUBLIC_ROUTES nor registered with secured() from ROUTE_ROLES (src/server/roles.ts)`);
    }
  }
}

/** Every route the role table names was registered: the table and the server agree. */
export function assertAllRegistered(app: FastifyInstance): void {
  const missing = [...Object.keys(ROUTE_ROLES), ...PUBLIC_ROUTES].filter((key) => {
    const { method, url } = splitRoute(key as RouteKey);
    return !app.hasRoute({ method, url });
  });
  if (missing.length > 0) throw new Error(`routes in src/server/roles.ts not registered: ${missing.join(', ')}`);
}
