// The confirmation endpoint refuses what it cannot trust and changes nothing when it does;
// outbox rows roll back with a failed destruction; termination asks for everything held, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { sign, signedHeaders } from '../../src/partners/signature.ts';
import { parsePartnerRegistry } from '../../src/partners/registry.ts';
import { syncTerminations } from '../../src/partners/terminate.ts';
import { PolicyError } from '../../src/errors.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { registryYaml, secretValue, startHarness, type Harness } from '../fixtures/partners/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('pr-confirm');
  await sweepInline(h.ctx, h.rules, 100);
}, 60_000);
afterAll(async () => h?.close());

const post = (partner: string, body: string, headers: Record<string, string>) =>
  h.server.inject({ method: 'POST', url: `/partners/${partner}/confirmations`, payload: body, headers });
const requestOf = async (partner: string) => (await rows<{ id: string; status: string }>(h.t.db,
  sql`SELECT id::text, status FROM lethe.partner_requests WHERE partner_id = ${partner}`))[0]!;
const receipt = (id: string) => JSON.stringify({ request_id: id, status: 'deleted', deleted_at: new Date().toISOString() });
const partnerEvidence = () => count(h.t.db, 'lethe.evidence', sql`action LIKE 'partner_%'`);

describe('POST /partners/:id/confirmations', () => {
  it('rejects a forged signature, another partner\'s secret, a stale timestamp, an unknown request; nothing changes', async () => {
    const a = await requestOf('partner-a');
    expect(a.status).toBe('pending');
    const body = receipt(a.id);
    const before = await partnerEvidence();
    const forged = await post('partner-a', body, signedHeaders('not-the-secret-0123456789abcdef0123456789', body, new Date()));
    expect(forged.statusCode).toBe(401);
    const crossed = await post('partner-a', body, signedHeaders(secretValue('partner-b'), body, new Date()));
    expect(crossed.statusCode).toBe(401);
    const old = new Date(Date.now() - 6 * 60_000);
    const stale = await post('partner-a', body, signedHeaders(secretValue('partner-a'), body, old));
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('stale_timestamp');
    // Signed right, but for partner-b's request: partner-a cannot confirm what it was not sent.
    const b = await requestOf('partner-b');
    // One body each, signed as sent: two receipt() calls a millisecond apart differ in deleted_at.
    const otherBody = receipt(b.id);
    const other = await post('partner-a', otherBody, signedHeaders(secretValue('partner-a'), otherBody, new Date()));
    expect(other.statusCode).toBe(404);
    const unknownBody = receipt('00000000-0000-4000-8000-000000000000');
    const unknown = await post('partner-a', unknownBody, signedHeaders(secretValue('partner-a'), unknownBody, new Date()));
    expect(unknown.statusCode).toBe(404);
    const tampered = await post('partner-a', body.replace('deleted', 'deleted '), signedHeaders(secretValue('partner-a'), body, new Date()));
    expect(tampered.statusCode).toBe(401);
    expect(await partnerEvidence()).toBe(before);
    expect((await requestOf('partner-a')).status).toBe('pending');
    expect(h.logs.filter((l) => l.includes('partner confirmation rejected')).length).toBeGreaterThanOrEqual(6);
  });

  it('accepts a signed receipt once (notified + confirmed evidence) and rejects its replay', async () => {
    const a = await requestOf('partner-a');
    const body = receipt(a.id);
    const headers = signedHeaders(secretValue('partner-a'), body, new Date());
    const ok = await post('partner-a', body, headers);
    expect(ok.statusCode).toBe(200);
    expect((await requestOf('partner-a')).status).toBe('confirmed');
    const after = await partnerEvidence();
    const replay = await post('partner-a', body, headers);
    expect(replay.statusCode).toBe(409);
    expect(await partnerEvidence()).toBe(after);
    const actions = await rows<{ action: string; n: string }>(h.t.db, sql`SELECT action, count(*)::text AS n FROM lethe.evidence
      WHERE fields->>'request' = ${a.id} GROUP BY action ORDER BY action`);
    // Two subjects in partner-a's request: one row each, per change.
    expect(actions).toEqual([{ action: 'partner_confirmed', n: '2' }, { action: 'partner_notified', n: '2' }]);
    expect(sign('k', '1', 'x')).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});

describe('outbox and termination', () => {
  it('a destruction that rolls back leaves no request behind', async () => {
    // A due record whose undeclared child blocks the delete: the batch fails, nothing is queued.
    const before = await count(h.t.db, 'lethe.partner_requests');
    const [c] = await rows<{ id: string }>(h.t.db, sql`INSERT INTO customers (full_name, phone, id_number, city, created_at)
      VALUES ('赵敏', '13700001111', '310101199001011234', '上海', now()) RETURNING id::text`);
    await h.t.db.execute(sql`INSERT INTO public.data_sharing_ledger (partner_id, customer_id, category, partner_subject_ref, shared_at)
      VALUES ('partner-b', ${c!.id}, 'loan-application', 'B-ZHAO', now())`);
    const [app] = await rows<{ id: string }>(h.t.db, sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${c!.id}, 'rejected', 1000, now() - interval '50 days', now() - interval '45 days') RETURNING id::text`);
    // A lender table no policy declares, pointing at the application (loans are SET NULL now).
    await h.t.db.execute(sql`CREATE TABLE application_notes (id bigint PRIMARY KEY, application_id bigint NOT NULL REFERENCES loan_applications (id))`);
    await h.t.db.execute(sql`INSERT INTO application_notes VALUES (1, ${app!.id})`);
    await expect(sweepInline(h.ctx, h.rules, 100)).rejects.toThrow();
    expect(await count(h.t.db, 'lethe.partner_requests')).toBe(before);
    expect(await count(h.t.db, 'loan_applications', sql`id = ${app!.id}`)).toBe(1);
    await h.t.db.execute(sql`DROP TABLE application_notes`);
  });

  it('a terminated partner gets requests for everything the ledger says it still holds, once', async () => {
    const text = registryYaml({ 'partner-c': { url: h.partners['partner-c'].url, status: 'terminated' }, 'partner-a': { url: h.partners['partner-a'].url } });
    const registry = parsePartnerRegistry(text, 'partners.yaml');
    const first = await syncTerminations(h.ctx, h.rules, registry, 'test');
    expect(first).toEqual([expect.objectContaining({ partner: 'partner-c', created: true, subjects: 2 })]);
    const [r] = await rows<{ trigger: string; payload: { subjects: string[] }; categories: string[] }>(h.t.db,
      sql`SELECT trigger, payload, categories FROM lethe.partner_requests WHERE partner_id = 'partner-c'`);
    expect(r!.trigger).toBe('partner_termination');
    expect(r!.payload.subjects.sort()).toEqual(['C-ENDED', 'C-PLAIN']);
    expect(r!.categories).toEqual(['marketing-profile']);
    const again = await syncTerminations(h.ctx, h.rules, registry, 'test');
    expect(again).toEqual([expect.objectContaining({ partner: 'partner-c', created: false })]);
    expect(await count(h.t.db, 'lethe.partner_requests', sql`partner_id = 'partner-c'`)).toBe(1);
  });
});

describe('partner registry', () => {
  it('reports problems at file:line:col', () => {
    const bad = `partners:
  - id: Partner_A
    name: x
    endpoint: ftp://x
    status: terminated
    categories: []
    confirm_within: 15 days
    secret_env: lower
`;
    try {
      parsePartnerRegistry(bad, 'partners.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      const text = (e as PolicyError).message;
      expect(text).toMatch(/partners\.yaml:2:\d+: .*kebab-case/);
      expect(text).toMatch(/partners\.yaml:4:\d+: .*http/);
      expect(text).toMatch(/partners\.yaml:7:\d+: .*ISO 8601/);
      expect(text).toMatch(/partners\.yaml:8:\d+: .*environment variable/);
    }
  });

  it('refuses a timeout longer than PT10M, which Node would cut to 1 ms, and durations past 1000 years', () => {
    for (const [field, value, message] of [['timeout', 'P30D', 'must be at most PT10M'], ['confirm_within', 'P9999Y', 'longer than 1000 years']] as const) {
      const text = registryYaml({ 'partner-a': { url: 'http://127.0.0.1:9' } }).replace(field === 'timeout' ? /timeout: .*/ : /confirm_within: .*/, `${field}: ${value}`);
      expect(() => parsePartnerRegistry(text, 'partners.yaml')).toThrow(new RegExp(`partners\\.yaml:\\d+:\\d+: .*${field}.*${message}`));
    }
  });
});
