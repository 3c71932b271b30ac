// Holds, plans and the evidence export over HTTP behave as their CLI twins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { count } from '../helpers.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import type { FastifyInstance } from 'fastify';

describe('holds, plan and evidence export endpoints', () => {
  let f: ServerFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    f = await serverFixture('operations');
    app = buildServer(f.deps());
  });
  afterAll(async () => {
    await app.close();
    await f.drop();
  });

  it('a hold placed over HTTP shows in the plan as held, and is released', async () => {
    const placed = await app.inject({ method: 'POST', url: '/holds', headers: bearer(f.tokens.operator), payload: { subject: f.lender.customers.held, reason: 'court order 5' } });
    expect(placed.statusCode, placed.body).toBe(201);
    const { id } = placed.json() as { id: string };
    const listed = (await app.inject({ method: 'GET', url: '/holds', headers: bearer(f.tokens.viewer) })).json() as { holds: { id: string; reason: string }[] };
    expect(listed.holds).toEqual([expect.objectContaining({ id, reason: 'court order 5' })]);
    const planned = (await app.inject({ method: 'GET', url: '/plan?policy=rejected-loan-applications', headers: bearer(f.tokens.viewer) })).json() as { policies: { id: string; due: number; held: number }[] };
    expect(planned.policies).toEqual([expect.objectContaining({ id: 'rejected-loan-applications', due: f.lender.dueApps.length, held: f.lender.heldApps.length })]);
    const released = await app.inject({ method: 'POST', url: `/holds/${id}/release`, headers: bearer(f.tokens.operator), payload: { reason: 'closed' } });
    expect(released.statusCode).toBe(200);
    const again = await app.inject({ method: 'POST', url: `/holds/${id}/release`, headers: bearer(f.tokens.operator), payload: { reason: 'twice' } });
    expect(again.statusCode).toBe(404);
    expect(await count(f.t.db, 'lethe.holds', undefined)).toBe(1);
  });

  it('the evidence export streams csv to auditors, not to viewers', async () => {
    const d = f.deps();
    await sweepInline(d.ctx, d.rules);
    const csv = await app.inject({ method: 'GET', url: '/evidence/export?format=csv', headers: bearer(f.tokens.auditor) });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^seq,run_id,policy_id/);
    expect(lines.length - 1).toBe(await count(f.t.db, 'lethe.evidence'));
    for (const v of f.lender.values) expect(csv.body).not.toContain(v);
    expect((await app.inject({ method: 'GET', url: '/evidence/export', headers: bearer(f.tokens.viewer) })).statusCode).toBe(403);
  });

  it('bad queries are 400 with the field named', async () => {
    const badDate = await app.inject({ method: 'GET', url: '/plan?as_of=tomorrow', headers: bearer(f.tokens.viewer) });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json()).toMatchObject({ error: { message: expect.stringContaining('"as_of"') } });
    const badPolicy = await app.inject({ method: 'GET', url: '/plan?policy=nope', headers: bearer(f.tokens.viewer) });
    expect(badPolicy.statusCode).toBe(400);
    const badFormat = await app.inject({ method: 'GET', url: '/evidence/export?format=xml', headers: bearer(f.tokens.auditor) });
    expect(badFormat.statusCode).toBe(400);
  });
});
