// Manual purges over HTTP: an operator requests, an approver (another token) approves.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { approvePurge, getPurgeRequest, listPurgeRequests, requestPurge } from '../../purge/requests.ts';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { secured, type RouteEnv } from '../route.ts';
import { identifier, subjectId, parseBody, reasonText } from '../validate.ts';

const NewPurgeBody = z.strictObject({
  policy: identifier(100).optional(),
  subject: subjectId.optional(),
  reason: reasonText(500),
}).refine((b) => (b.policy === undefined) !== (b.subject === undefined), { message: 'give exactly one of "policy" or "subject"' });

const ApproveBody = z.strictObject({ plan_hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-hex plan hash').optional() });

export function registerPurgeRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'POST /purge-requests', async (request, reply) => {
    const body = parseBody(NewPurgeBody, request.body);
    const view = await requestPurge(deps.ctx, deps.rules, {
      target: body.policy !== undefined ? { kind: 'policy', policyId: body.policy } : { kind: 'subject', subject: body.subject! },
      reason: body.reason, requestedBy: actorOf(request), ttl: deps.config.purgeApprovalTtl,
    });
    reply.code(201);
    return view;
  });

  secured(app, env, 'POST /purge-requests/:id/approve', async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = parseBody(ApproveBody, request.body ?? {});
    const { view, batchIds } = await approvePurge(deps.ctx, { id, approver: actorOf(request), planHash: body.plan_hash }, deps.config.batchSize);
    for (const b of batchIds) await deps.enqueue('purge-batch', { batchId: b }, b);
    reply.code(202);
    return view;
  });

  secured(app, env, 'GET /purge-requests', async () => ({ purge_requests: await listPurgeRequests(deps.ctx.db, deps.ctx.clock.now()) }));

  secured(app, env, 'GET /purge-requests/:id', async (request) => {
    const { id } = request.params as { id: string };
    const view = await getPurgeRequest(deps.ctx.db, id, deps.ctx.clock.now());
    if (!view) throw new HttpError(404, 'not_found', `no purge request with id ${id}`);
    return view;
  });
}
