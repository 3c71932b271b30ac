// GET /metrics parses as Prometheus text and moves with the work: records destroyed by a sweep,
// erasure requests overdue and due soon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
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
  let app: FastifyInstance;
  const scrape = async () => {
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(f.tokens.viewer) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    return parse(r.body);
  };

  beforeAll(async () => {
    f = await serverFixture('metrics');
    app = buildServer(f.deps());
  });
  afterAll(async () => {
    await app.close();
    await f.drop();
  });

  it('moves as a sweep destroys records', async () => {
    const before = await scrape();
    expect(before.get('lethe_records_destroyed{policy="rejected-loan-applications"}') ?? 0).toBe(0);
    const d = f.deps();
    await sweepInline(d.ctx, d.rules);
    const after = await scrape();
    expect(after.get('lethe_records_destroyed{policy="rejected-loan-applications"}')).toBe(f.lender.dueApps.length + f.lender.heldApps.length);
    expect(after.get('lethe_holds_active')).toBe(0);
  });

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
