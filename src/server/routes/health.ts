// Probes. /healthz: the process answers. /readyz: it can do its work (PostgreSQL, Redis, a schema
// it knows). Both are unauthenticated, so they name the failed check and keep the why for the log.
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Logger } from '../../log.ts';
import { describeError } from '../../log.ts';
import { assertSchemaCurrent } from '../../db/migrate.ts';
import { assertRedisAnswers } from '../../pipeline/queues.ts';
import { publicRoute } from '../route.ts';
import type { ServerDeps } from '../app.ts';

/** A probe that hangs (a blackholed host) must still answer within a kubelet's timeout. */
export const READY_CHECK_TIMEOUT_MS = 2000;

type Check = 'postgres' | 'redis' | 'schema';

export function registerHealthRoutes(app: FastifyInstance, deps: ServerDeps, log: Logger): void {
  publicRoute(app, 'GET /healthz', async () => ({ ok: true, started_at: deps.startedAt.toISOString() }));

  const pingRedis = deps.pingRedis ?? (() => assertRedisAnswers(deps.config.redisUrl, READY_CHECK_TIMEOUT_MS));
  const checks: Record<Check, () => Promise<unknown>> = {
    postgres: () => deps.ctx.db.execute(sql`SELECT 1`),
    redis: pingRedis,
    schema: () => assertSchemaCurrent(deps.ctx.db),
  };

  publicRoute(app, 'GET /readyz', async (_request, reply) => {
    const names = Object.keys(checks) as Check[];
    const outcomes = await Promise.all(names.map((name) => withTimeout(checks[name](), READY_CHECK_TIMEOUT_MS).then(
      () => 'ok' as const,
      (e: unknown) => {
        log.warn({ check: name, err: describeError(e) }, 'readiness check failed');
        return 'failed' as const;
      })));
    const result = Object.fromEntries(names.map((n, i) => [n, outcomes[i]!])) as Record<Check, 'ok' | 'failed'>;
    const failed = names.filter((n) => result[n] !== 'ok');
    if (failed.length === 0) return { ok: true, checks: result };
    reply.code(503);
    return { ok: false, checks: result, error: { code: 'unavailable', message: `not ready: ${failed.join(', ')} failed (details in the server log)` } };
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
