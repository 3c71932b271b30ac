// Partner purge requests end to end on loopback: outbox rows written with the destruction,
// delivered signed through per-partner BullMQ queues to reference partners, confirmed back
// through `lethe serve`, with evidence exactly once per change.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count, createQueuePrefix, testConfig, waitFor } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';
import { startPartnerService, type PartnerService } from '../../src/partners/service.ts';
import { enqueueDueRequests } from '../../src/partners/sweep.ts';
import { partnersStatus } from '../../src/partners/status.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { registry as jobs } from '../../jobs/index.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { startHarness, type Harness, type PartnerSpec, type PartnerId } from '../fixtures/partners/harness.ts';

interface Running { h: Harness; service: PartnerService; queues: Queues; stop(): Promise<void> }

const open: Running[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.stop();
});

async function run(label: string, specs: Partial<Record<PartnerId, PartnerSpec>> = {}, perKind = 5): Promise<Running> {
  const h = await startHarness(label, specs, perKind);
  const q = createQueuePrefix(label);
  const connection = redisConnection(testConfig(h.t).redisUrl);
  const queues = new Queues(connection, q.prefix);
  const config = testConfig(h.t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_PARTNER_SWEEP_EVERY: 'PT1S' });
  const service = await startPartnerService({ ...h.ctx, rules: h.rules, config, enqueue: queues.enqueue }, jobs,
    { connection, prefix: q.prefix, queues, registry: h.registry, delivery: { baseDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 1500 } });
  const r: Running = {
    h, service, queues,
    async stop() {
      await service.stop();
      await queues.close();
      connection.disconnect();
      await q.cleanup();
      await h.close();
    },
  };
  open.push(r);
  return r;
}

const requests = (r: Running) => rows<{ id: string; partner_id: string; status: string; subject_refs: string[]; payload: { subjects: string[] } | null; batch_id: string }>(
  r.h.t.db, sql`SELECT id::text, partner_id, status, subject_refs, payload, batch_id::text FROM lethe.partner_requests ORDER BY partner_id, created_at`);

const evidenceOf = (r: Running, action: string) => rows<{ request: string; n: string }>(r.h.t.db,
  sql`SELECT fields->>'request' AS request, count(*)::text AS n FROM lethe.evidence WHERE action = ${action} GROUP BY 1`);

describe('partner purge requests', () => {
  it('writes one request per partner that received the destroyed data, with the partner\'s own references', async () => {
    const r = await run('pr-one');
    await sweepInline(r.h.ctx, r.h.rules, 100);
    const reqs = await requests(r);
    // partner-a and partner-b received the plain customer's applications; partner-c only marketing.
    expect(reqs.map((x) => x.partner_id)).toEqual(['partner-a', 'partner-b']);
    expect(new Set(reqs.map((x) => x.batch_id)).size).toBe(1);
    // One request per partner for the whole batch, naming every subject it received.
    expect(reqs[0]!.payload!.subjects).toEqual(['A-PLAIN', 'A-HELD']);
    expect(reqs[1]!.payload!.subjects).toEqual(['B-PLAIN']);
    await sweepInline(r.h.ctx, r.h.rules, 100);
    expect(await count(r.h.t.db, 'lethe.partner_requests')).toBe(2);
    await enqueueDueRequests(r.h.ctx, r.queues.enqueue, 0);
    await waitFor(async () => (await requests(r)).every((x) => x.status === 'confirmed'), 20_000, 'both confirmed');
    expect([...r.h.partners['partner-a'].processed.values()]).toEqual([['A-PLAIN', 'A-HELD']]);
    expect(r.h.partners['partner-c'].deliveries.size).toBe(0);
    // Confirmed: the partner's references are no longer kept.
    expect((await requests(r)).every((x) => x.payload === null)).toBe(true);
    const notified = await evidenceOf(r, 'partner_notified');
    const confirmed = await evidenceOf(r, 'partner_confirmed');
    // One evidence row per subject the request names: partner-a two, partner-b one.
    expect(notified.map((e) => e.n).sort()).toEqual(['1', '2']);
    expect(confirmed.map((e) => e.n).sort()).toEqual(['1', '2']);
    const ev = await rows<{ partner: string; subject_ref: string | null; record_ref: string }>(r.h.t.db,
      sql`SELECT partner, subject_ref, record_ref FROM lethe.evidence WHERE action LIKE 'partner_%'`);
    expect(ev.every((e) => /^[0-9a-f]{64}$/.test(e.subject_ref ?? '') && e.partner.startsWith('partner-'))).toBe(true);
    expect((await verifyEvidence(r.h.t.db, r.h.ctx.keys)).ok).toBe(true);
  }, 60_000);

  it('with 30% of calls failing or timing out, every request ends confirmed or failed, once, and concurrency limits hold', async () => {
    const faults = { failRate: 0.15, timeoutRate: 0.15 };
    const r = await run('pr-faults', { 'partner-a': { faults, maxConcurrency: 2 }, 'partner-b': { faults, maxConcurrency: 3 } }, 12);
    await sweepInline(r.h.ctx, r.h.rules, 1);
    const all = await requests(r);
    // Batches of one record: partner-a received two customers' data (24 applications), partner-b one.
    expect(all.filter((x) => x.partner_id === 'partner-a')).toHaveLength(24);
    expect(all.filter((x) => x.partner_id === 'partner-b')).toHaveLength(12);
    await enqueueDueRequests(r.h.ctx, r.queues.enqueue, 0);
    await waitFor(async () => (await requests(r)).every((x) => x.status === 'confirmed' || x.status === 'failed'), 90_000, 'all settled');
    const settled = await requests(r);
    // Not one lost, not one extra.
    expect(settled.map((x) => x.id).sort()).toEqual(all.map((x) => x.id).sort());
    for (const p of ['partner-a', 'partner-b'] as const) {
      const partner = r.h.partners[p];
      const mine = settled.filter((x) => x.partner_id === p);
      // Idempotency: each request processed once by the partner, whatever the repeats.
      expect([...partner.processed.keys()].sort()).toEqual(mine.filter((x) => x.status === 'confirmed').map((x) => x.id).sort());
      expect(partner.maxInFlight).toBeLessThanOrEqual(r.h.registry.get(p)!.maxConcurrency);
    }
    const retried = [...r.h.partners['partner-a'].deliveries.values(), ...r.h.partners['partner-b'].deliveries.values()].filter((n) => n > 1);
    expect(retried.length).toBeGreaterThan(0);
    const notified = new Map((await evidenceOf(r, 'partner_notified')).map((e) => [e.request, e.n]));
    const confirmed = new Map((await evidenceOf(r, 'partner_confirmed')).map((e) => [e.request, e.n]));
    const failed = new Map((await evidenceOf(r, 'partner_failed')).map((e) => [e.request, e.n]));
    for (const x of settled) {
      if (x.status === 'confirmed') {
        expect(notified.get(x.id)).toBe('1');
        expect(confirmed.get(x.id)).toBe('1');
      } else {
        expect(failed.get(x.id)).toBe('1');
      }
    }
    expect((await verifyEvidence(r.h.t.db, r.h.ctx.keys)).ok).toBe(true);
  }, 120_000);

  it('one partner\'s outage does not delay another\'s requests', async () => {
    const r = await run('pr-outage', { 'partner-a': { faults: { slowMs: 5000 }, maxConcurrency: 1, timeout: 'PT10S' } }, 4);
    await sweepInline(r.h.ctx, r.h.rules, 1);
    await enqueueDueRequests(r.h.ctx, r.queues.enqueue, 0);
    await waitFor(async () => (await requests(r)).filter((x) => x.partner_id === 'partner-b').every((x) => x.status === 'confirmed'), 8000, 'partner-b done');
    // partner-a (one slot, 5 s per call) has at most finished its first request meanwhile.
    expect((await requests(r)).filter((x) => x.partner_id === 'partner-a' && x.status === 'confirmed').length).toBeLessThanOrEqual(1);
    // Let partner-a recover, so the workers stop with nothing in flight.
    r.h.partners['partner-a'].setFaults({});
    await waitFor(async () => (await requests(r)).every((x) => x.status === 'confirmed'), 30_000, 'partner-a caught up');
  }, 60_000);

  it('a partner refusing with 4xx: failed after a bounded number of tries, with partner_failed evidence once', async () => {
    const r = await run('pr-4xx', { 'partner-b': { faults: { alwaysStatus: 400 } } }, 1);
    await sweepInline(r.h.ctx, r.h.rules, 100);
    await enqueueDueRequests(r.h.ctx, r.queues.enqueue, 0);
    await waitFor(async () => (await requests(r)).find((x) => x.partner_id === 'partner-b')?.status === 'failed', 20_000, 'partner-b failed');
    const b = (await requests(r)).find((x) => x.partner_id === 'partner-b')!;
    expect(r.h.partners['partner-b'].deliveries.get(b.id)).toBe(3);
    expect((await evidenceOf(r, 'partner_failed')).map((e) => [e.request, e.n])).toEqual([[b.id, '1']]);
    const status = await partnersStatus(r.h.t.db, new Date());
    expect(status.failed).toEqual([expect.objectContaining({ request_id: b.id, partner: 'partner-b', error: expect.stringContaining('HTTP 400') })]);
  }, 60_000);

  it('a partner that never confirms shows as overdue with its age, and is reminded once a day', async () => {
    const r = await run('pr-overdue', { 'partner-b': { faults: { neverConfirm: true }, confirmWithin: 'P1D' } }, 1);
    await sweepInline(r.h.ctx, r.h.rules, 100);
    await enqueueDueRequests(r.h.ctx, r.queues.enqueue, 0);
    await waitFor(async () => (await requests(r)).find((x) => x.partner_id === 'partner-b')?.status === 'sent', 20_000, 'partner-b sent');
    const later = new Date(Date.now() + 3 * 86_400_000);
    const status = await partnersStatus(r.h.t.db, later);
    expect(status.overdue).toHaveLength(1);
    expect(status.overdue[0]!.partner).toBe('partner-b');
    expect(status.overdue[0]!.overdue_seconds).toBeGreaterThanOrEqual(2 * 86_400 - 120);
    expect(status.overdue[0]!.overdue_for).toMatch(/^[12]d /);
    expect(status.partners.find((p) => p.partner === 'partner-b')).toMatchObject({ sent: 1, overdue: 1, confirmed: 0 });
    const { chaseOverdue } = await import('../../src/partners/sweep.ts');
    const chaseCtx = { ...r.h.ctx, clock: { now: () => later } };
    expect(await chaseOverdue(chaseCtx, r.queues.enqueue)).toEqual([expect.objectContaining({ partner: 'partner-b', requests: 1 })]);
    expect(await chaseOverdue(chaseCtx, r.queues.enqueue)).toEqual([]);
    expect(r.h.logs.some((l) => l.includes('past its deadline'))).toBe(true);
    await waitFor(async () => [...r.h.partners['partner-b'].processed.keys()].some((k) => k.includes('.reminder.')), 10_000, 'reminder delivered');
  }, 60_000);
});
