// Erasure requests (PIPL art. 47): submit one for a subject, read its per-policy outcome.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getErasureRequest, listErasureRequests, submitErasureRequest } from '../../erasure/requests.ts';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { secured, type RouteEnv } from '../route.ts';
import { identifier, subjectId, parseBody } from '../validate.ts';

export const TICKET_MAX = 200;

const NewErasureBody = z.strictObject({
  subject: subjectId,
  ticket: identifier(TICKET_MAX),
});

export function registerErasureRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'POST /erasure-requests', async (request, reply) => {
    const body = parseBody(NewErasureBody, request.body);
    const view = await submitErasureRequest(deps, { subject: body.subject, ticket: body.ticket, actor: actorOf(request) });
    reply.code(202);
    return view;
  });

  secured(app, env, 'GET /erasure-requests', async () => ({ erasure_requests: await listErasureRequests(deps.ctx.db) }));

  secured(app, env, 'GET /erasure-requests/:id', async (request) => {
    const { id } = request.params as { id: string };
    const view = await getErasureRequest(deps.ctx.db, id);
    if (!view) throw new HttpError(404, 'not_found', `no erasure request with id ${id}`);
    return view;
  });
}
