// Holds, plans and the evidence export over HTTP: the same engine calls as the CLI.
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { addHold, listHolds, releaseHold } from '../../holds/holds.ts';
import { plan } from '../../plan/plan.ts';
import { exportEvidence } from '../../evidence/export.ts';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { secured, type RouteEnv } from '../route.ts';
import { identifier, subjectId, parseBody, queryInstant, reasonText } from '../validate.ts';

const NewHoldBody = z.strictObject({
  subject: subjectId,
  reason: reasonText(500),
  policy: identifier(100).optional(),
});
const ReleaseBody = z.strictObject({ reason: reasonText(500) });

export function registerOperationsRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'GET /holds', async () => {
    const holds = await listHolds(deps.ctx.db);
    return { holds: holds.map(({ placed_by: _p, ...h }) => h) };
  });

  secured(app, env, 'POST /holds', async (request, reply) => {
    const body = parseBody(NewHoldBody, request.body);
    if (body.policy !== undefined && !deps.rules.get(body.policy)) throw new HttpError(400, 'bad_request', `"policy" ${body.policy} is not a loaded policy`);
    const hold = await addHold(deps.ctx, deps.rules, { subject: body.subject, reason: body.reason, policyId: body.policy, actor: actorOf(request) });
    reply.code(201);
    return { id: hold.id, subject_ref: hold.subject_ref };
  });

  secured(app, env, 'POST /holds/:id/release', async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(ReleaseBody, request.body);
    await releaseHold(deps.ctx, id, body.reason, actorOf(request));
    return { id, released: true };
  });

  secured(app, env, 'GET /plan', async (request) => {
    const q = request.query as Record<string, unknown>;
    const policy = q.policy === undefined ? undefined : String(q.policy);
    if (policy !== undefined && !deps.rules.get(policy)) throw new HttpError(400, 'bad_request', `"policy" ${policy} is not a loaded policy`);
    const now = queryInstant('as_of', q.as_of) ?? deps.ctx.clock.now();
    const ctx = { ...deps.ctx, clock: { now: () => now } };
    const counts = await plan(ctx, deps.rules, { now, subject: q.subject === undefined ? undefined : String(q.subject), policyIds: policy ? [policy] : undefined });
    return { as_of: now.toISOString(), policies: counts };
  });

  secured(app, env, 'GET /evidence/export', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const format = q.format === undefined ? 'json' : String(q.format);
    if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'bad_request', '"format" must be json or csv');
    const from = queryInstant('from', q.from);
    const to = queryInstant('to', q.to);
    const out = new PassThrough();
    reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    reply.header('cache-control', 'no-store');
    exportEvidence(deps.ctx.db, { from, to, format, out, evidenceKey: deps.ctx.keys.evidenceKey, timeZone: deps.config.timeZone })
      .then(() => out.end())
      .catch((e: unknown) => out.destroy(e as Error));
    return reply.send(out);
  });
}
