// The suppression list over HTTP: campaign, SMS and call-centre systems ask before they contact
// someone; the consent system says when a consent was granted again.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { checkSuppression, liftSuppression } from '../../suppress/check.ts';
import type { ServerDeps } from '../app.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { secured, type RouteEnv } from '../route.ts';
import { identifier, parseBody, reasonText, subjectId } from '../validate.ts';

const PURPOSE_MAX = 128;
const CONTACT_MAX = 254;

const ConsentGrantedBody = z.strictObject({
  subject: subjectId,
  purpose: identifier(PURPOSE_MAX),
  reason: reasonText(500).optional(),
});

/** The POST form of the check: the contact travels in the body, where no proxy's access log sees it. */
const CheckBody = z.strictObject({
  purpose: z.string().min(1).max(PURPOSE_MAX),
  subject: z.string().min(1).max(128).optional(),
  contact: z.string().min(1).max(CONTACT_MAX).optional(),
});

const text = (q: Record<string, unknown>, name: string, max: number): string | undefined => {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > max) throw new HttpError(400, 'bad_request', `"${name}" must be given once, 1 to ${max} characters`);
  return v;
};

export function registerSuppressionRoutes(app: FastifyInstance, deps: ServerDeps, env: RouteEnv): void {
  const check = (reply: FastifyReply, q: { purpose: string; subject?: string | undefined; contact?: string | undefined }) => {
    // The answer is about a person: no cache may keep it past a lift or a new refusal.
    reply.header('cache-control', 'no-store');
    return checkSuppression(deps.ctx.db, deps.ctx.keys, deps.rules, q);
  };
  secured(app, env, 'GET /suppressions/check', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const purpose = text(q, 'purpose', PURPOSE_MAX);
    if (purpose === undefined) throw new HttpError(400, 'bad_request', '"purpose" is required');
    return check(reply, { purpose, subject: text(q, 'subject', 128), contact: text(q, 'contact', CONTACT_MAX) });
  });
  secured(app, env, 'POST /suppressions/check', async (request, reply) => check(reply, parseBody(CheckBody, request.body)));

  secured(app, env, 'POST /events/consent-granted', async (request) => {
    const body = parseBody(ConsentGrantedBody, request.body);
    const lifted = await liftSuppression(deps.ctx, deps.rules, {
      purpose: body.purpose, subject: body.subject, actor: actorOf(request), reason: body.reason ?? 'consent granted again (POST /events/consent-granted)',
    });
    return { purpose: body.purpose, lifted };
  });
}
