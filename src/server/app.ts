// `lethe serve`'s HTTP surface. Fastify's own logger stays off: requests are logged here by
// route pattern, status and token id only, never headers, bodies or query strings (tokens and
// subject ids travel in them).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../service.ts';
import { carriesQueryText, describeError } from '../log.ts';
import { BODY_LIMIT_BYTES, HttpError, errorBody, toHttpFailure } from './errors.ts';
import { assertAllRegistered, guardRoute, type RouteEnv } from './route.ts';
import { refuseNul } from './validate.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerErasureRoutes } from './routes/erasure.ts';
import { registerConsentRoutes } from './routes/consent.ts';
import { registerSuppressionRoutes } from './routes/suppressions.ts';
import { registerMetricsRoutes } from './routes/metrics.ts';
import { registerPartnerRoutes } from './routes/partners.ts';
import type { PartnerRegistry, SecretLookup } from '../partners/registry.ts';
import { registerPurgeRoutes } from './routes/purge.ts';
import { registerTaskRoutes } from './routes/tasks.ts';
import { registerOperationsRoutes } from './routes/operations.ts';
import { registerOverviewRoutes } from './routes/overview.ts';
import { registerOpenApiRoutes } from './routes/openapi.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerLoginRoutes } from './routes/login.ts';

export interface ServerDeps extends ServiceDeps {
  readonly startedAt: Date;
  /** Readiness probe of Redis; default: a short-lived connection to config.redisUrl. */
  readonly pingRedis?: () => Promise<void>;
  /** The partner registry; default: loaded from config.partnersFile. */
  readonly partners?: PartnerRegistry;
  /** Where the partners' shared secrets come from; default: the variables the registry names. */
  readonly partnerSecrets?: SecretLookup;
}

export const REQUEST_TIMEOUT_MS = 30_000;
const QUIET_ROUTES = new Set(['/healthz', '/readyz']);

export function buildServer(deps: ServerDeps): FastifyInstance {
  const log = deps.ctx.log.child({ component: 'http' });
  const app = Fastify({
    // No logger (so no request logging of fastify's own): requests are logged in onResponse below.
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // HEAD twins of GET routes would bypass the role table's one-key-per-route view.
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Not always behind a proxy: a client trickling its request must not hold a socket forever.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Errors the router raises before any route (a bad %-escape, an over-long path parameter)
    // get the same `{"error": {"code", "message"}}` body as everything else.
    frameworkErrors: (error, _request, reply) => {
      const failure = toHttpFailure(error);
      void (reply as FastifyReply).code(failure.status).send(errorBody(failure));
    },
  });
  app.decorateRequest('principal', null);
  // Bodies are JSON or nothing: a text/plain body would otherwise reach handlers as a string.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRoute', guardRoute);
  app.addHook('preValidation', refuseNul);

  app.setErrorHandler((error, request, reply) => {
    const failure = toHttpFailure(error);
    if (!failure.expected) {
      // A database error's stack repeats its message (and drizzle's, the query parameters); describeError does not.
      log.error({ ...where(request), err: describeError(error), ...(carriesQueryText(error) ? {} : { stack: (error as Error).stack }) }, 'request failed');
    }
    if (error instanceof HttpError) void reply.headers(error.headers);
    void reply.code(failure.status).send(errorBody(failure));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    void reply.code(404).send(errorBody({ code: 'not_found', message: `no endpoint ${request.method} ${path}` }));
  });

  app.addHook('onResponse', async (request, reply) => {
    const entry = { ...where(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (QUIET_ROUTES.has(request.routeOptions.url ?? '')) log.debug(entry, 'request');
    else log.info(entry, 'request');
  });

  const env: RouteEnv = { db: deps.ctx.db, log, session: { key: deps.ctx.keys.sessionKey, now: () => deps.ctx.clock.now() } };
  registerHealthRoutes(app, deps, log);
  registerErasureRoutes(app, deps, env);
  registerConsentRoutes(app, deps, env);
  registerSuppressionRoutes(app, deps, env);
  registerMetricsRoutes(app, deps, env);
  registerPartnerRoutes(app, deps);
  registerPurgeRoutes(app, deps, env);
  registerTaskRoutes(app, deps, env);
  registerOperationsRoutes(app, deps, env);
  registerOverviewRoutes(app, deps, env);
  registerOpenApiRoutes(app, env);
  registerLoginRoutes(app, deps, env);
  registerDashboardRoutes(app, deps, env);
  assertAllRegistered(app);
  return app;
}

/** What a log line may say about a request: its route pattern, method and token id. */
function where(request: FastifyRequest): Record<string, string> {
  return {
    method: request.method,
    route: request.routeOptions.url ?? '(no route)',
    ...(request.principal ? { token_id: request.principal.id } : {}),
  };
}
