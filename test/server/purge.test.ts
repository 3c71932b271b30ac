// Four eyes over HTTP: an operator requests, an approver (another token) approves; the
// requester cannot approve their own request; an expired request cannot be approved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { count } from '../helpers.ts';
import { requestPurge } from '../../src/purge/requests.ts';
import { parseDuration } from '../../src/duration.ts';
import type { PurgeView } from '../../src/purge/requests.ts';
import type { FastifyInstance } from 'fastify';

describe('purge requests over HTTP', () => {
  let f: ServerFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    f = await serverFixture('purgeapi');
    app = buildServer(f.deps());
  });
  afterAll(async () => {
    await app.close();
    await f.drop();
  });

  it('operator requests, approver approves and the batches are queued', async () => {
    const posted = await app.inject({ method: 'POST', url: '/purge-requests', headers: bearer(f.tokens.operator),
      payload: { policy: 'rejected-loan-applications', reason: 'backlog INC-9' } });
    expect(posted.statusCode, posted.body).toBe(201);
    const v = posted.json() as PurgeView;
    expect(v).toMatchObject({ status: 'pending', requested_by: 'token:test-operator', kind: 'policy' });
    expect(v.plan.total).toBe(f.lender.dueApps.length + f.lender.heldApps.length);

    const byOperator = await app.inject({ method: 'POST', url: `/purge-requests/${v.id}/approve`, headers: bearer(f.tokens.operator), payload: {} });
    expect(byOperator.statusCode).toBe(403);
    const wrongPlan = await app.inject({ method: 'POST', url: `/purge-requests/${v.id}/approve`, headers: bearer(f.tokens.approver), payload: { plan_hash: '0'.repeat(64) } });
    expect(wrongPlan.statusCode).toBe(409);
    expect(wrongPlan.json()).toMatchObject({ error: { message: expect.stringContaining('is not the one you reviewed') } });
    const approved = await app.inject({ method: 'POST', url: `/purge-requests/${v.id}/approve`, headers: bearer(f.tokens.approver), payload: { plan_hash: v.plan.hash } });
    expect(approved.statusCode, approved.body).toBe(202);
    expect(approved.json()).toMatchObject({ status: 'approved', approved_by: 'token:test-approver' });
    expect(f.enqueued.filter((e) => e.name === 'purge-batch').length).toBeGreaterThan(0);
    expect(f.enqueued.every((e) => JSON.stringify(e.data).match(/^\{"(batchId|requestId|scanId|policyId)"/))).toBe(true);
  });

  it('the requester cannot approve their own request, and nothing is queued', async () => {
    const d = f.deps();
    const v = await requestPurge(d.ctx, d.rules, { target: { kind: 'subject', subject: f.lender.customers.plain }, reason: 'court order', requestedBy: 'token:test-approver', ttl: parseDuration('PT1H')! });
    const before = f.enqueued.length;
    const r = await app.inject({ method: 'POST', url: `/purge-requests/${v.id}/approve`, headers: bearer(f.tokens.approver), payload: {} });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('four eyes') } });
    expect(f.enqueued.length).toBe(before);
    expect(await count(f.t.db, 'lethe.batches', sql`run_id IS NOT NULL AND trigger = 'manual' AND keys IS NOT NULL AND policy_id = 'kyc-records'`)).toBe(0);
  });

  it('an expired request cannot be approved; bad bodies are 400 and unknown ids 404', async () => {
    const d = f.deps();
    const v = await requestPurge(d.ctx, d.rules, { target: { kind: 'subject', subject: f.lender.customers.ended }, reason: 'x', requestedBy: 'token:test-operator', ttl: parseDuration('PT1H')! });
    await f.t.db.execute(sql`UPDATE lethe.purge_requests SET expires_at = now() - interval '1 minute' WHERE id = ${v.id}`);
    const r = await app.inject({ method: 'POST', url: `/purge-requests/${v.id}/approve`, headers: bearer(f.tokens.approver), payload: {} });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: { code: 'conflict', message: expect.stringContaining('is expired') } });
    const both = await app.inject({ method: 'POST', url: '/purge-requests', headers: bearer(f.tokens.operator), payload: { policy: 'kyc-records', subject: '1', reason: 'x' } });
    expect(both.statusCode).toBe(400);
    const unknown = await app.inject({ method: 'GET', url: '/purge-requests/pr-000000000000', headers: bearer(f.tokens.viewer) });
    expect(unknown.statusCode).toBe(404);
  });
});
