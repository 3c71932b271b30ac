// Registers a route from the role table: the route's key decides method, path and roles, and
// the auth hook is attached here, so no secured route can be added without it.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from 'fastify';
import type { Executor } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { authenticate } from './auth.ts';
import type { Role } from '../tokens/tokens.ts';
import { PREFIX_ROLES, PUBLIC_ROUTES, ROUTE_ROLES, prefixOf, rolesFor, splitRoute, type Method, type RouteKey, type SecuredRoute } from './roles.ts';

export interface RouteEnv {
  db: Executor;
  log: Logger;
  /** Reads the browser session cookie (SESSION_ROUTES): the key it is signed with, and now. */
  session?: { key: Buffer; now(): Date };
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Marks a route registered through `secured`, so the onRoute guard can tell. */
const SECURED = Symbol('lethe.secured');

export function secured(app: FastifyInstance, env: RouteEnv, route: SecuredRoute, handler: Handler): void {
  const { method, url } = splitRoute(route);
  app.route({ method, url, config: { [SECURED]: route }, onRequest: authenticate(env, route, rolesFor(route)), handler });
}

type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Registers a route under a PREFIX_ROLES entry (a library's routes, e.g. bull-board's) with the
 * auth hook `auth` builds for the prefix's roles; a route outside every prefix is refused.
 */
export function securedUnder(app: FastifyInstance, method: Method, url: string, auth: (roles: readonly Role[]) => AuthHook, handler: Handler): void {
  const prefix = prefixOf(method, url);
  if (!prefix) throw new Error(`route ${method} ${url} is under no prefix of PREFIX_ROLES (src/server/roles.ts)`);
  app.route({ method: method as HTTPMethods, url, config: { [SECURED]: prefix }, onRequest: auth(PREFIX_ROLES[prefix]), handler });
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
    const marker = (opts.config as Record<symbol, unknown> | undefined)?.[SECURED];
    const isSecured = key in ROUTE_ROLES && marker === key;
    const isUnderPrefix = marker !== undefined && marker === prefixOf(m, opts.url);
    if (!isPublic && !isSecured && !isUnderPrefix) {
      throw new Error(`route ${key} is neither in PUBLIC_ROUTES nor registered with secured() from ROUTE_ROLES or securedUnder() from PREFIX_ROLES (src/server/roles.ts)`);
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
