// Consent events pushed by the lender's consent system: a withdrawal schedules an expedited
// scan of that subject instead of waiting for the next scheduled one.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { consentWithdrawn } from '../../consent/events.ts';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { secured, type RouteEnv } from '../route.ts';
import { identifier, subjectId, isoInstant, parseBody } from '../validate.ts';

const PURPOSE_MAX = 128;

// Strict: a misspelt `withdrawnAt` must fail, not silently default the withdrawal to now.
const ConsentWithdrawnBody = z.strictObject({
  subject: subjectId,
  purpose: identifier(PURPOSE_MAX),
  withdrawn_at: isoInstant.optional(),
});

export function registerConsentRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  secured(app, env, 'POST /events/consent-withdrawn', async (request, reply) => {
    const body = parseBody(ConsentWithdrawnBody, request.body);
    const scheduled = await consentWithdrawn(deps, { subject: body.subject, purpose: body.purpose, withdrawnAt: body.withdrawn_at, actor: actorOf(request) });
    reply.code(202);
    return scheduled;
  });
}
