// A partner's signed receipt: `POST /partners/:id/confirmations` with body
// `{"request_id": "…", "status": "deleted", "deleted_at": "…"}`, signed like our requests.
// Everything is checked before anything changes; a rejection changes nothing and is logged.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { secretOf, type PartnerRegistry, type SecretLookup } from './registry.ts';
import { verifySignature } from './signature.ts';
import { REQUEST_COLUMNS, readRequest, requestEvidence, type RequestRow } from './requests.ts';

const receiptSchema = z.object({
  request_id: z.string().uuid(),
  status: z.literal('deleted'),
  deleted_at: z.string().datetime({ offset: true }).optional(),
});

export type ConfirmResult =
  | { ok: true; requestId: string }
  | { ok: false; status: 400 | 401 | 404 | 409; code: string; message: string };

export interface SignedMessage {
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

const reject = (status: 400 | 401 | 404 | 409, code: string, message: string): ConfirmResult => ({ ok: false, status, code, message });

export async function confirmRequest(
  ctx: EngineContext, registry: PartnerRegistry, partnerId: string, msg: SignedMessage, secrets?: SecretLookup,
): Promise<ConfirmResult> {
  const now = ctx.clock.now();
  const partner = registry.get(partnerId);
  const log = ctx.log.child({ component: 'partners', partner: partner ? partnerId : '(unknown)' });
  const fail = (r: ConfirmResult) => {
    if (!r.ok) log.warn({ code: r.code, status: r.status }, `partner confirmation rejected: ${r.message}`);
    return r;
  };
  // An unknown partner and a bad signature look alike to the caller: nothing to probe for.
  if (!partner) return fail(reject(401, 'bad_signature', 'unknown partner or bad signature'));
  const check = verifySignature(secretOf(partner, secrets), msg.timestamp, msg.signature, msg.body, now);
  if (!check.ok) {
    return fail(check.reason === 'stale'
      ? reject(401, 'stale_timestamp', 'the signed timestamp is more than 5 minutes from now')
      : reject(401, 'bad_signature', 'unknown partner or bad signature'));
  }
  let parsed: z.infer<typeof receiptSchema>;
  try {
    const p = receiptSchema.safeParse(JSON.parse(msg.body));
    if (!p.success) return fail(reject(400, 'invalid_receipt', 'a receipt is {"request_id": "<uuid>", "status": "deleted", "deleted_at": "<ISO time>"}'));
    parsed = p.data;
  } catch {
    return fail(reject(400, 'invalid_receipt', 'the body is not JSON'));
  }
  return fail(await ctx.db.transaction(async (tx): Promise<ConfirmResult> => {
    const r = await readRequest(tx, parsed.request_id, true);
    if (!r || r.partner_id !== partnerId) return reject(404, 'unknown_request', `no request ${parsed.request_id} was sent to partner ${partnerId}`);
    if (r.status === 'confirmed') return reject(409, 'already_confirmed', `request ${r.id} is already confirmed`);
    // A request still `pending` here was delivered but our commit of `sent` has not happened
    // yet (the partner was quicker): it is recorded as notified and confirmed now.
    const receipt = { deleted_at: parsed.deleted_at ?? null, timestamp: msg.timestamp, signature: msg.signature, received_at: now.toISOString() };
    const [moved] = await rows<RequestRow>(tx, sql`UPDATE lethe.partner_requests SET status = 'confirmed', confirmed_at = ${now},
        sent_at = coalesce(sent_at, ${now}), receipt = ${JSON.stringify(receipt)}::jsonb,
        payload = NULL
      WHERE id = ${r.id}::uuid RETURNING ${REQUEST_COLUMNS}`);
    if (r.status === 'pending') await requestEvidence(tx, ctx.keys, moved!, 'partner_notified', now);
    await requestEvidence(tx, ctx.keys, moved!, 'partner_confirmed', now, parsed.deleted_at ? { deleted_at: parsed.deleted_at } : {});
    log.info({ requestId: r.id, was: r.status }, 'partner confirmed deletion');
    return { ok: true, requestId: r.id };
  }));
}
