// GET /metrics parses as Prometheus text and moves with the work: records due and destroyed,
// the last successful scan and the batch durations of a sweep, erasure requests overdue and due
// soon: the figures an alert needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { createQueuePrefix } from '../helpers.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { registry } from '../../jobs/index.ts';
import { rows } from '../../src/db/sql.ts';
import { BATCH_BUCKETS_SECONDS } from '../../src/metrics/histogram.ts';
import type { FastifyInstance } from 'fastify';

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN)$/;

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('GET /metrics', () => {
  let f: ServerFixture;
  let q: ReturnType<typeof createQueuePrefix>;
  let app: FastifyInstance;
  const scrape = async () => {
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(f.tokens.viewer) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    return parse(r.body);
  };

  beforeAll(async () => {
    f = await serverFixture('metrics');
    q = createQueuePrefix('metrics');
    app = buildServer(f.deps());
  });
  afterAll(async () => {
    await app.close();
    await q.cleanup();
    await f.drop();
  });

  it('moves as a sweep destroys records: due now, last scan, batch durations, one log line per batch', async () => {
    const APPS = 'policy="rejected-loan-applications"';
    const before = await scrape();
    expect(before.get(`lethe_records_destroyed{${APPS}}`) ?? 0).toBe(0);
    expect(before.get(`lethe_records_due{${APPS}}`)).toBe(f.lender.dueApps.length + f.lender.heldApps.length);
    expect(before.get(`lethe_scan_last_success_timestamp_seconds{${APPS}}`)).toBeUndefined();
    const d = f.deps({ LETHE_QUEUE_PREFIX: q.prefix, LETHE_BATCH_SIZE: '2' });
    const started = Math.floor(Date.now() / 1000);
    f.logs.length = 0;
    // Through the real workers: the purge jobs record their durations.
    const result = await sweep(d.ctx, d.rules, d.config, registry, { actor: 'test' });
    const after = await scrape();
    expect(after.get(`lethe_records_destroyed{${APPS}}`)).toBe(f.lender.dueApps.length + f.lender.heldApps.length);
    expect(after.get(`lethe_records_due{${APPS}}`)).toBe(0);
    expect(after.get('lethe_holds_active')).toBe(0);
    const last = after.get(`lethe_scan_last_success_timestamp_seconds{${APPS}}`)!;
    expect(last).toBeGreaterThanOrEqual(started);
    expect(last).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    // The histogram: one observation per purged batch, buckets cumulative, +Inf = count.
    const n = (await rows<{ n: number }>(f.t.db, sql`SELECT count(*)::int AS n FROM lethe.batches
      WHERE policy_id = 'rejected-loan-applications' AND run_id = ${result.runId} AND status = 'done'`))[0]!.n;
    expect(n).toBeGreaterThan(1);
    const h = 'lethe_batch_duration_seconds';
    expect(after.get(`${h}_count{${APPS}}`)).toBe(n);
    expect(after.get(`${h}_bucket{${APPS},le="+Inf"}`)).toBe(n);
    let previous = 0;
    for (const le of BATCH_BUCKETS_SECONDS) {
      const v = after.get(`${h}_bucket{${APPS},le="${le}"}`)!;
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
    expect(after.get(`${h}_sum{${APPS}}`)).toBeGreaterThan(0);

    // The operator's log: a line per purged batch with policy, records and ms.
    const lines = f.logs.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const batches = lines.filter((l) => l.msg === 'batch purged' && l.policy === 'rejected-loan-applications');
    expect(batches).toHaveLength(n);
    for (const b of batches) {
      expect(b.level).toBe(30);
      expect(typeof b.records).toBe('number');
      expect(typeof b.ms).toBe('number');
    }
    expect(batches.reduce((a, b) => a + (b.records as number), 0)).toBe(f.lender.dueApps.length + f.lender.heldApps.length);
    expect(lines.filter((l) => l.msg === 'scan finished' && l.policy === 'rejected-loan-applications')).toHaveLength(1);
  }, 60_000);

  it('shows erasure requests overdue and due soon before they are late', async () => {
    const d = f.deps();
    const late = await recordErasureRequest(d.ctx, d.rules, 15, { subject: f.lender.customers.plain, ticket: 'M-late', actor: 'test' });
    const soon = await recordErasureRequest(d.ctx, d.rules, 15, { subject: f.lender.customers.ended, ticket: 'M-soon', actor: 'test' });
    await recordErasureRequest(d.ctx, d.rules, 15, { subject: f.lender.customers.endedRecently, ticket: 'M-fine', actor: 'test' });
    await f.t.db.execute(sql`UPDATE lethe.erasure_requests SET due_at = now() - interval '1 day' WHERE id = ${late}`);
    await f.t.db.execute(sql`UPDATE lethe.erasure_requests SET due_at = now() + interval '1 day' WHERE id = ${soon}`);
    const m = await scrape();
    expect(m.get('lethe_erasure_requests_overdue')).toBe(1);
    expect(m.get('lethe_erasure_requests_due_soon')).toBe(1);
    expect(m.get('lethe_erasure_requests{status="received"}')).toBe(3);
  });

  it('needs a token', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  });
});
