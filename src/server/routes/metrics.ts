import type { FastifyInstance } from 'fastify';
import { collectMetrics } from '../../metrics/collect.ts';
import { plan } from '../../plan/plan.ts';
import type { ServerDeps } from '../app.ts';
import { secured, type RouteEnv } from '../route.ts';

export function registerMetricsRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'GET /metrics', async (_request, reply) => {
    const now = deps.ctx.clock.now();
    const m = await collectMetrics(deps.ctx.db, now, () => plan(deps.ctx, deps.rules, { now }));
    reply.header('content-type', m.contentType);
    return m.text;
  });
}
