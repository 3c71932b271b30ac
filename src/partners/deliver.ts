// One delivery attempt of one outbox row: claim it (a lease, so a crashed attempt is retried
// by the sweep and never by two workers at once), POST it signed, record the outcome. The HTTP
// call runs outside any transaction; the partner dedupes repeats by the Idempotency-Key.
import { sql } from 'drizzle-orm';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { addDuration } from '../duration.ts';
import { describeError } from '../log.ts';
import { HEADER_IDEMPOTENCY, signedHeaders } from './signature.ts';
import { MAX_CLIENT_ERROR_ATTEMPTS, secretOf, type PartnerRegistry, type SecretLookup } from './registry.ts';
import { REQUEST_COLUMNS, readRequest, requestEvidence, type RequestRow } from './requests.ts';

export interface DeliveryOptions {
  /** First retry delay; doubles per attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a longer one is capped (the request is still retried). */
  maxRetryAfterMs: number;
  random: () => number;
  secrets?: SecretLookup;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  baseDelayMs: 2000, maxDelayMs: 3_600_000, maxRetryAfterMs: 6 * 3_600_000, random: Math.random,
};

export interface PartnerRuntime {
  readonly registry: PartnerRegistry;
  readonly delivery: DeliveryOptions;
}

export type DeliveryOutcome =
  | { kind: 'sent'; status: number }
  | { kind: 'retry'; partnerId: string; attempts: number; delayMs: number; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'skipped'; reason: string };

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffMs(attempt: number, o: Pick<DeliveryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const exp = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * o.random());
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The JSON a partner receives: its own references, never lethe's ids or pseudonyms. */
export function requestBody(r: RequestRow, deadline: Date, now: Date, reminder: boolean): string {
  return JSON.stringify({
    request_id: r.id, type: reminder ? 'reminder' : 'purge', subjects: r.payload?.subjects ?? [],
    categories: r.categories, reason: r.trigger, deadline: deadline.toISOString(), requested_at: now.toISOString(),
  });
}

export async function deliverRequest(ctx: EngineContext, rt: PartnerRuntime, requestId: string, reminder = false): Promise<DeliveryOutcome> {
  const now = ctx.clock.now();
  const r = reminder ? await readRequest(ctx.db, requestId) : await claim(ctx, rt, requestId, now);
  if (!r) return { kind: 'skipped', reason: 'not due, leased by another attempt, or already settled' };
  if (reminder && r.status !== 'sent') return { kind: 'skipped', reason: `reminder for a ${r.status} request` };
  const partner = rt.registry.get(r.partner_id);
  if (!partner) return settle(ctx, r, { kind: 'failed', reason: `partner ${r.partner_id} is not in the partner registry` }, now);
  const deadline = reminder && r.deadline_at ? new Date(r.deadline_at) : addDuration(now, partner.confirmWithin);
  const body = requestBody(r, deadline, now, reminder);
  const headers = { ...signedHeaders(secretOf(partner, rt.delivery.secrets), body, now), [HEADER_IDEMPOTENCY]: reminder ? `${r.id}.reminder.${r.reminders}` : r.id };
  let outcome: DeliveryOutcome;
  try {
    const res = await fetch(partner.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(partner.timeoutMs), redirect: 'error' });
    await res.arrayBuffer().catch(() => undefined);
    outcome = classify(res.status, res.headers.get('retry-after'), r, partner.maxAttempts, rt.delivery, now);
  } catch (e) {
    const reason = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? `timed out after ${partner.timeoutMs} ms` : `network error: ${describeError(e)}`;
    outcome = retryOrFail(reason, r, partner.maxAttempts, rt.delivery);
  }
  if (reminder) {
    ctx.log.info({ requestId: r.id, partner: r.partner_id, outcome: outcome.kind }, 'partner reminder sent');
    return outcome;
  }
  return settle(ctx, r, outcome, now, deadline);
}

function classify(status: number, retryAfter: string | null, r: RequestRow, maxAttempts: number, o: DeliveryOptions, now: Date): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent', status };
  if (status === 429) {
    const wait = retryAfterMs(retryAfter, now);
    const out = retryOrFail(`HTTP 429`, r, maxAttempts, o);
    return out.kind === 'retry' && wait !== undefined ? { ...out, delayMs: Math.min(wait, o.maxRetryAfterMs) } : out;
  }
  if (status >= 500 || status === 408) return retryOrFail(`HTTP ${status}`, r, maxAttempts, o);
  // Another 4xx: the partner refuses this request; a few tries (a deploy in progress), then failed.
  return retryOrFail(`HTTP ${status}`, r, Math.min(maxAttempts, MAX_CLIENT_ERROR_ATTEMPTS), o);
}

function retryOrFail(reason: string, r: RequestRow, maxAttempts: number, o: DeliveryOptions): DeliveryOutcome {
  if (r.attempts >= maxAttempts) return { kind: 'failed', reason: `${reason} (gave up after ${r.attempts} attempts)` };
  return { kind: 'retry', partnerId: r.partner_id, attempts: r.attempts, delayMs: backoffMs(r.attempts, o), reason };
}

/** Takes the row for one attempt: due, pending, not leased. The lease outlasts the HTTP timeout. */
async function claim(ctx: EngineContext, rt: PartnerRuntime, id: string, now: Date): Promise<RequestRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const partnerTimeout = (pid: string) => rt.registry.get(pid)?.timeoutMs ?? 10_000;
  const [row] = await rows<{ partner_id: string }>(ctx.db, sql`SELECT partner_id FROM lethe.partner_requests WHERE id = ${id}::uuid`);
  if (!row) return undefined;
  const leaseUntil = new Date(now.getTime() + 2 * partnerTimeout(row.partner_id) + 5000);
  const [r] = await rows<RequestRow>(ctx.db, sql`UPDATE lethe.partner_requests SET attempts = attempts + 1, next_attempt_at = ${leaseUntil}
    WHERE id = ${id}::uuid AND status = 'pending' AND next_attempt_at <= ${now} RETURNING ${REQUEST_COLUMNS}`);
  return r;
}

async function settle(ctx: EngineContext, r: RequestRow, o: DeliveryOutcome, now: Date, deadline?: Date): Promise<DeliveryOutcome> {
  const log = ctx.log.child({ requestId: r.id, partner: r.partner_id, attempt: r.attempts });
  if (o.kind === 'sent') {
    await ctx.db.transaction(async (tx) => {
      // A partner that confirmed before this commit already moved the row (and wrote both records).
      const moved = await rows<RequestRow>(tx, sql`UPDATE lethe.partner_requests SET status = 'sent', sent_at = ${now},
        deadline_at = ${deadline!}, last_error = NULL WHERE id = ${r.id}::uuid AND status = 'pending' RETURNING ${REQUEST_COLUMNS}`);
      if (moved[0]) await requestEvidence(tx, ctx.keys, moved[0], 'partner_notified', now, { deadline: deadline!.toISOString() });
    });
    log.info({ status: o.status }, 'partner request sent');
  } else if (o.kind === 'retry') {
    await ctx.db.execute(sql`UPDATE lethe.partner_requests SET next_attempt_at = ${new Date(now.getTime() + o.delayMs)}, last_error = ${o.reason}
      WHERE id = ${r.id}::uuid AND status = 'pending'`);
    log.warn({ reason: o.reason, retryInMs: o.delayMs }, 'partner request not delivered; will retry');
  } else if (o.kind === 'failed') {
    await ctx.db.transaction(async (tx) => {
      const moved = await rows<RequestRow>(tx, sql`UPDATE lethe.partner_requests SET status = 'failed', failed_at = ${now}, last_error = ${o.reason}
        WHERE id = ${r.id}::uuid AND status = 'pending' RETURNING ${REQUEST_COLUMNS}`);
      if (moved[0]) await requestEvidence(tx, ctx.keys, moved[0], 'partner_failed', now, { error: o.reason });
    });
    log.error({ reason: o.reason }, 'partner request failed: an operator must follow it up');
  }
  return o;
}
