// The issue-3 endpoints over HTTP: what reaches the engine, with which actor, and how its
// errors come back. The engine's own behaviour is tested in test/erasure and test/consent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { count, TEST_SECRET } from '../helpers.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';
import { rows } from '../../src/db/sql.ts';
import type { ErasureView } from '../../src/erasure/types.ts';

describe('lethe serve: erasure requests and consent events', () => {
  let f: ServerFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    f = await serverFixture('endpoints');
    app = buildServer(f.deps());
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await f?.drop();
  });

  const post = (url: string, token: string, payload: object) => app.inject({ method: 'POST', url, headers: bearer(token), payload });
  const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) });

  describe('POST /erasure-requests', () => {
    let created: ErasureView;

    it('202 with the recorded request; its execution is enqueued; the actor is the token', async () => {
      const subject = f.lender.customers.plain;
      const r = await post('/erasure-requests', f.tokens.operator, { subject, ticket: 'DSR-2026-0001' });
      expect(r.statusCode).toBe(202);
      created = r.json() as ErasureView;
      expect(created).toMatchObject({ ticket: 'DSR-2026-0001', status: 'received', subject_ref: subjectRef(deriveKeys(TEST_SECRET), subject) });
      expect(r.body).not.toContain(`"${subject}"`);
      expect(f.enqueued).toContainEqual(expect.objectContaining({ name: 'erase-subject', data: { requestId: created.id } }));
      const [row] = await rows<{ actor: string }>(f.t.db, sql`SELECT actor FROM lethe.erasure_requests WHERE id = ${created.id}`);
      expect(row!.actor).toBe('token:test-operator');
    });

    it('409 for a duplicate ticket, nothing more recorded', async () => {
      const r = await post('/erasure-requests', f.tokens.operator, { subject: f.lender.customers.ended, ticket: 'DSR-2026-0001' });
      expect(r.statusCode).toBe(409);
      expect(r.json().error.code).toBe('conflict');
      expect(r.json().error.message).toContain('duplicate ticket');
      expect(await count(f.t.db, 'lethe.erasure_requests')).toBe(1);
    });

    it('404 for a subject no policy knows, nothing recorded', async () => {
      const r = await post('/erasure-requests', f.tokens.operator, { subject: '999999999', ticket: 'DSR-2026-0002' });
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('not_found');
      expect(await count(f.t.db, 'lethe.erasure_requests')).toBe(1);
    });

    it('GET /erasure-requests/:id returns it to any role; an unknown id is 404', async () => {
      for (const role of ['viewer', 'auditor', 'approver'] as const) {
        const r = await get(`/erasure-requests/${created.id}`, f.tokens[role]);
        expect(r.statusCode).toBe(200);
        expect(r.json()).toMatchObject({ id: created.id, ticket: 'DSR-2026-0001' });
      }
      const missing = await get('/erasure-requests/er-000000000000', f.tokens.viewer);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toEqual({ code: 'not_found', message: 'no erasure request with id er-000000000000' });
    });

    it('GET /erasure-requests lists them', async () => {
      const r = await get('/erasure-requests', f.tokens.viewer);
      expect(r.statusCode).toBe(200);
      expect((r.json() as { erasure_requests: ErasureView[] }).erasure_requests.map((e) => e.id)).toEqual([created.id]);
    });
  });

  describe('POST /events/consent-withdrawn', () => {
    it('202 with the scans it scheduled (withdrawal + retain), enqueued, actor the token', async () => {
      const before = f.enqueued.length;
      const r = await post('/events/consent-withdrawn', f.tokens.operator, { subject: f.lender.customers.plain, purpose: 'marketing', withdrawn_at: '2026-03-01T08:00:00+08:00' });
      expect(r.statusCode).toBe(202);
      // marketing-profiles retains P2D after the withdrawal.
      expect(r.json()).toEqual({ policies: [{ id: 'marketing-profiles', due_at: '2026-03-03T00:00:00.000Z' }] });
      expect(f.enqueued.slice(before).map((e) => e.name)).toEqual(['scan-policy']);
      expect(await count(f.t.db, 'lethe.runs', sql`actor = 'token:test-operator' AND trigger = 'consent_withdrawn'`)).toBe(1);
    });

    it('400 for a purpose no policy acts on, nothing scheduled', async () => {
      const before = f.enqueued.length;
      const r = await post('/events/consent-withdrawn', f.tokens.operator, { subject: f.lender.customers.plain, purpose: 'lottery' });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toContain('purpose "lottery"');
      expect(f.enqueued.length).toBe(before);
    });
  });

  it('an internal error is a generic 500; its text goes to the log, not the client', async () => {
    const broken = buildServer(f.deps({}, async () => {
      throw new Error('READONLY You cannot write against a read only replica at 10.0.0.7');
    }));
    try {
      f.logs.length = 0;
      const r = await broken.inject({ method: 'POST', url: '/events/consent-withdrawn', headers: bearer(f.tokens.operator), payload: { subject: f.lender.customers.held, purpose: 'marketing' } });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({ error: { code: 'internal', message: 'internal error; see the server log' } });
      expect(r.body).not.toContain('10.0.0.7');
      const failed = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed');
      expect(failed).toMatchObject({ level: 50, route: '/events/consent-withdrawn', method: 'POST' });
      expect(String(failed!.err)).toContain('READONLY');
    } finally {
      await broken.close();
    }
  });
});
