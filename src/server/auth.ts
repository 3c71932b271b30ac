// Bearer-token authentication, run as the route's onRequest hook: a request without the right
// token is turned away before its body is read. Denials are logged with the route, method and
// token id when known; the token and the request itself never reach the log.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { principalById, verifyToken, type Principal, type Role } from '../tokens/tokens.ts';
import { cookieOf, readSession } from './dashboard/session.ts';
import { OVERVIEW_LOGIN, sendLoginPage } from './routes/login.ts';
import { HttpError } from './errors.ts';
import { QUERY_TOKEN_ROUTES, SESSION_ROUTES, splitRoute, type SecuredRoute } from './roles.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on secured routes; null on public ones. */
    principal: Principal | null;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;
const CHALLENGE = { 'www-authenticate': 'Bearer realm="lethe"' };

export type Deny = (status: 401 | 403, reason: string, message: string, tokenId?: string) => never;

/** Logs a denial (route pattern, reason, token id when known: never the token) and throws its HttpError. */
export function denier(log: Logger, method: string, url: string): Deny {
  return (status, reason, message, tokenId) => {
    log.warn({ method, route: url, status, reason, ...(tokenId ? { token_id: tokenId } : {}) }, 'request denied');
    throw new HttpError(status, status === 401 ? 'unauthenticated' : 'forbidden', message, status === 401 ? CHALLENGE : {});
  };
}

/** The token of an `Authorization: Bearer <token>` header; undefined when the header has another shape. */
export const bearerToken = (header: string): string | undefined => BEARER.exec(header)?.[1];

export function authenticate(env: { db: Executor; log: Logger; session?: { key: Buffer; now(): Date } | undefined }, route: SecuredRoute, roles: readonly Role[]) {
  const { db, log } = env;
  const { method, url } = splitRoute(route);
  const deny = denier(log, method, url);
  const queryToken = QUERY_TOKEN_ROUTES.includes(route);
  const session = SESSION_ROUTES.includes(route) ? env.session : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? (queryToken ? fromQuery(request) : undefined);
    let principal: Principal | undefined;
    if (!header && session) {
      const s = readSession(session.key, cookieOf(request), session.now());
      principal = s && await principalById(db, s.tokenId);
      if (!principal && wantsHtml(request)) {
        // A person at a browser: the login form, which brings them back here.
        log.info({ method, route: url, status: 401, reason: 'no session' }, 'login form shown');
        return void sendLoginPage(reply, 401, OVERVIEW_LOGIN, { next: url });
      }
    }
    if (!header && !principal) {
      const how = queryToken ? '"Authorization: Bearer <token>" or ?token=<token>' : '"Authorization: Bearer <token>"';
      return deny(401, 'no token', `this endpoint needs an API token: send ${how} (create one with \`lethe tokens create\`)`);
    }
    if (header) {
      const token = bearerToken(header);
      if (!token) return deny(401, 'malformed header', 'the Authorization header must be "Bearer <token>"');
      principal = await verifyToken(db, token);
    }
    if (!principal) return deny(401, 'unknown or revoked token', 'the API token is unknown or revoked');
    if (!roles.includes(principal.role)) {
      return deny(403, `role ${principal.role} not allowed`, `a ${principal.role} token may not call ${route}; allowed roles: ${roles.join(', ')}`, principal.id);
    }
    request.principal = principal;
  };
}

/** `?token=…` as a bearer header, for the routes in QUERY_TOKEN_ROUTES; a repeated one is refused. */
function fromQuery(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  if (token === undefined) return undefined;
  return typeof token === 'string' ? `Bearer ${token}` : 'malformed';
}

/** The actor recorded for a mutation made through the API. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error('actorOf called on an unauthenticated route');
  return `token:${request.principal.name}`;
}

/** A browser asking for a page (not a script or curl asking for data). */
function wantsHtml(request: FastifyRequest): boolean {
  return request.method === 'GET' && /\btext\/html\b/.test(request.headers.accept ?? '');
}
