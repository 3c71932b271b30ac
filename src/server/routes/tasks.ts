// Paper and media destruction tasks over HTTP: anyone may read them; an approver (not the
// opener) approves; an operator hands over; the witness confirms with their own token.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { secured, type RouteEnv } from '../route.ts';
import { parseBody, reasonText } from '../validate.ts';
import { getTask, listTasks } from '../../tasks/list.ts';
// A step out of order is a ConflictError (409), four eyes a FourEyesError (403): src/server/errors.ts.
import { MAX_NAME_LENGTH, approveTask, confirmTask, handOverTask } from '../../tasks/steps.ts';

const name = reasonText(MAX_NAME_LENGTH);
const ApproveBody = z.strictObject({ lines: z.number().int('must be a whole number').min(1, 'must be 1 or more').optional() });
const HandoverBody = z.strictObject({ executor: name, note: reasonText(500).optional() });
const ConfirmBody = z.strictObject({ executor: name, witness: name, certificate: reasonText(200).optional() });

export function registerTaskRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'GET /destruction-tasks', async (request) => {
    const q = request.query as { overdue?: string; all?: string };
    const now = deps.ctx.clock.now();
    return { as_of: now.toISOString(), tasks: await listTasks(deps.ctx.db, now, { overdue: q.overdue === 'true', all: q.all === 'true' }) };
  });

  secured(app, env, 'GET /destruction-tasks/:id', async (request) => {
    const { id } = request.params as { id: string };
    const task = await getTask(deps.ctx.db, id, deps.ctx.clock.now());
    if (!task) throw new HttpError(404, 'not_found', `no destruction task with id ${id}`);
    return task;
  });

  secured(app, env, 'POST /destruction-tasks/:id/approve', async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(ApproveBody, request.body ?? {});
    return approveTask(deps.ctx, deps.rules, id, actorOf(request), { expectedLines: body.lines });
  });

  secured(app, env, 'POST /destruction-tasks/:id/handover', async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(HandoverBody, request.body);
    return handOverTask(deps.ctx, deps.rules, id, actorOf(request), body);
  });

  secured(app, env, 'POST /destruction-tasks/:id/confirm', async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(ConfirmBody, request.body);
    return confirmTask(deps.ctx, deps.rules, id, actorOf(request), body);
  });
}
