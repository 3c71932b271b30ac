// Every route of `lethe serve`, driven from the role table (so routes added later are fuzzed
// too) with hostile params, query strings and bodies under a token of an allowed role. Never a
// 5xx; every 4xx is `{"error": {"code", "message"}}`; nothing of the lender's data or evidence
// changes, and a refused request leaves lethe's own state as it was. Runs per route:
// FUZZ_RUNS (default 25); e.g. `FUZZ_RUNS=500 npx vitest run test/server/fuzz.property.test.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { rows } from '../../src/db/sql.ts';
import { parsePartnerRegistry } from '../../src/partners/registry.ts';
import { signedHeaders } from '../../src/partners/signature.ts';
import { PREFIX_ROLES, PUBLIC_ROUTES, ROUTE_ROLES, splitRoute, type RouteKey } from '../../src/server/roles.ts';
import { openApiDocument } from '../../src/server/openapi.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { BODY_FIELDS, FUZZ_RUNS, hostileJsonBody, hostileString, hostileValue } from '../fixtures/hostile.ts';

const PARTNER = 'fuzz-partner';
const PARTNER_SECRET = 'fuzz-partner-shared-secret-0123456789abcdef';
const REGISTRY = `partners:
  - id: ${PARTNER}
    name: fuzz
    endpoint: http://127.0.0.1:9/purge
    status: active
    categories: [loan-application]
    confirm_within: P15D
    secret_env: LETHE_FUZZ_PARTNER_SECRET
    max_concurrency: 1
    timeout: PT1S
    max_attempts: 3
`;

// Field and query names the routes read, so generated inputs get past "unknown field" often.
const FIELDS = [...BODY_FIELDS, 'as_of', 'from', 'to', 'format', 'token'];
// Route families a library owns (the queue dashboard): fuzzed at the prefix and below it.
const PREFIXES = Object.keys(PREFIX_ROLES) as RouteKey[];
const ROUTES = [...Object.keys(ROUTE_ROLES), ...PUBLIC_ROUTES, ...PREFIXES.map((k) => `${k}/:rest` as RouteKey)] as RouteKey[];
const LETHE_TABLES = ['holds', 'erasure_requests', 'purge_requests', 'purge_request_items', 'runs', 'scans', 'batches',
  'partner_requests', 'evidence', 'evidence_seals', 'restrictions'];

const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS, '__proto__', 'constructor'), hostileString), hostileString), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const param = hostileString.filter((s) => s.length > 0 && s.length <= 100);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1') },
);

interface BodySchema { properties?: Record<string, { format?: string; pattern?: string }>; required?: string[] }

/** The route's documented body (OpenAPI), so a new route's fields are fuzzed without listing them here. */
function documentedBody(route: RouteKey): BodySchema | undefined {
  const { method, url } = splitRoute(route);
  const doc = openApiDocument('fuzz') as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: BodySchema }> } }>> };
  return doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]?.requestBody?.content['application/json']?.schema;
}

/**
 * Bodies with the documented fields, each either plausible or hostile: one bad field among
 * good ones reaches deeper than a body that fails on its first key.
 */
function nearlyValidBody(schema: BodySchema, plausible: readonly string[]): fc.Arbitrary<string> {
  const props = Object.entries(schema.properties ?? {});
  const plausibleFor = (p: { format?: string; pattern?: string }): fc.Arbitrary<unknown> =>
    p.format === 'date-time' ? fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
      : p.pattern ? fc.stringMatching(new RegExp(p.pattern))
        : fc.constantFrom(...plausible);
  const field = (p: { format?: string; pattern?: string }) => fc.oneof({ weight: 3, arbitrary: plausibleFor(p) }, { weight: 2, arbitrary: hostileValue });
  return fc.tuple(...props.map(([name, p]) => fc.option(field(p).map((v) => [name, v] as const),
    { nil: undefined, freq: (schema.required ?? []).includes(name) ? 8 : 2 })))
    .map((entries) => JSON.stringify(Object.fromEntries(entries.filter((e) => e !== undefined))));
}

/** The documented required fields with plausible values: a body that passes validation. */
function minimalBody(route: RouteKey): string {
  const schema = documentedBody(route) ?? {};
  const value = (p: { format?: string; pattern?: string }) =>
    p.format === 'date-time' ? new Date().toISOString() : p.pattern ? fc.sample(fc.stringMatching(new RegExp(p.pattern)), 1)[0] : 'fuzz';
  return JSON.stringify(Object.fromEntries((schema.required ?? []).map((name) => [name, value(schema.properties?.[name] ?? {})])));
}

interface Snapshot { lender: Record<string, number>; lethe: Record<string, number>; enqueued: number }

describe('lethe serve under hostile input', () => {
  let f: ServerFixture;
  let app: FastifyInstance;
  let lenderTables: string[];

  beforeAll(async () => {
    f = await serverFixture('fuzz-http');
    const partners = parsePartnerRegistry(REGISTRY, 'partners.yaml');
    app = buildServer({ ...f.deps(), partners, partnerSecrets: (name) => (name === 'LETHE_FUZZ_PARTNER_SECRET' ? PARTNER_SECRET : undefined) });
    await app.ready();
    lenderTables = (await rows<{ t: string }>(f.t.db, sql`SELECT table_name::text AS t FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)).map((r) => r.t);
  });
  afterAll(async () => {
    await app?.close();
    await f?.drop();
  });

  async function counts(schema: string, tables: string[]): Promise<Record<string, number>> {
    const parts = tables.map((t) => sql`SELECT ${t} AS t, count(*)::int AS n FROM ${sql.identifier(schema)}.${sql.identifier(t)}`);
    const r = await rows<{ t: string; n: number }>(f.t.db, sql.join(parts, sql` UNION ALL `));
    return Object.fromEntries(r.map((x) => [x.t, x.n]));
  }
  const snapshot = async (): Promise<Snapshot> => ({
    lender: await counts('public', lenderTables), lethe: await counts('lethe', LETHE_TABLES), enqueued: f.enqueued.length,
  });

  const bodies = (route: RouteKey): fc.Arbitrary<string> => {
    const schema = documentedBody(route);
    if (!schema?.properties) return hostileJsonBody;
    const plausible = ['fuzz', 'marketing', ...Object.values(f.lender.customers), 'rejected-loan-applications', 'kyc-records'];
    return fc.oneof({ weight: 2, arbitrary: nearlyValidBody(schema, plausible) }, { weight: 1, arbitrary: hostileJsonBody });
  };

  function headersFor(route: RouteKey, type: string, body: string | undefined): Record<string, string> {
    const roles = (ROUTE_ROLES as Record<string, readonly string[]>)[route] ?? (PREFIX_ROLES as Record<string, readonly string[]>)[route.replace('/:rest', '')];
    const headers: Record<string, string> = roles ? bearer(f.tokens[roles[0] as keyof typeof f.tokens]) : {};
    if (body === undefined) return headers;
    // The partner route checks a signature before it reads the body: sign it, so the body is what gets tested.
    if (route === 'POST /partners/:id/confirmations') Object.assign(headers, signedHeaders(PARTNER_SECRET, body, new Date()));
    return { ...headers, 'content-type': type };
  }

  function expectWellFormed(r: { statusCode: number; headers: Record<string, unknown>; body: string }, what: string): void {
    // The readiness probe answers 503 when a check is slower than 2 s (a loaded CI machine): its contract, not a failure.
    const probe = what.startsWith('GET /readyz') && r.statusCode === 503;
    if (!probe) expect(r.statusCode, `${what} → ${r.statusCode} ${r.body.slice(0, 300)}`).toBeLessThan(500);
    if (r.statusCode < 400) return;
    // A browser form (a login page) answers its errors as a page: no stack, no internals.
    if (String(r.headers['content-type']).startsWith('text/html')) {
      expect(r.body, what).not.toMatch(/\n\s+at |Error:|node_modules/);
      return;
    }
    expect(String(r.headers['content-type']), what).toMatch(/^application\/json/);
    const body = JSON.parse(r.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code, `${what}: ${r.body}`).toBe('string');
    expect(typeof body.error?.message, `${what}: ${r.body}`).toBe('string');
    expect((body.error!.message as string).length, what).toBeGreaterThan(0);
  }

  for (const route of ROUTES) {
    it(`${route}: never 5xx, errors as JSON, lender data and evidence untouched`, async () => {
      const { method, url } = splitRoute(route);
      const params = url.match(/:[a-z_]+/g) ?? [];
      const partnerRoute = route === 'POST /partners/:id/confirmations';
      await fc.assert(fc.asyncProperty(
        fc.array(param, { minLength: params.length, maxLength: params.length }),
        query,
        method === 'GET' ? fc.constant(undefined) : fc.option(bodies(route), { nil: undefined, freq: 8 }),
        contentType,
        fc.boolean(),
        async (values, qs, body, type, realPartner) => {
          let path = url;
          params.forEach((p, i) => {
            path = path.replace(p, encodeURIComponent(partnerRoute && realPartner ? PARTNER : values[i]!));
          });
          const full = qs ? `${path}?${qs}` : path;
          const before = await snapshot();
          const opts: InjectOptions = { method, url: full, headers: headersFor(route, type, body), ...(body !== undefined ? { payload: body } : {}) };
          const r = await app.inject(opts);
          const what = `${method} ${full.slice(0, 200)} body ${JSON.stringify(body)?.slice(0, 200)}`;
          expectWellFormed(r, what);
          const after = await snapshot();
          // `__proto__` and `constructor.prototype` keys polluted nothing.
          expect(Object.keys(Object.prototype), what).toEqual([]);
          // The server only records and enqueues: no request through it destroys anything.
          expect(after.lender, what).toEqual(before.lender);
          expect(after.lethe.evidence, what).toBe(before.lethe.evidence);
          if (r.statusCode >= 400) {
            expect(after.lethe, what).toEqual(before.lethe);
            expect(after.enqueued, what).toBe(before.enqueued);
          }
        },
      ), { numRuns: FUZZ_RUNS });
    });
  }

  for (const route of ROUTES.filter((r) => r.startsWith('POST '))) {
    it(`${route}: a 2 MB body is 413 with a clear message, nothing read`, async () => {
      const { url } = splitRoute(route);
      const body = JSON.stringify({ subject: 'x'.repeat(2 * 1024 * 1024) });
      const before = await snapshot();
      const r = await app.inject({ method: 'POST', url: url.replace(/:[a-z_]+/g, PARTNER), payload: body, headers: headersFor(route, 'application/json', body) });
      expect(r.statusCode, r.body.slice(0, 300)).toBe(413);
      expect(r.json().error).toEqual({ code: 'payload_too_large', message: 'request body is larger than 64 KiB' });
      expect(await snapshot()).toEqual(before);
    });
  }

  for (const route of ROUTES.filter((r) => r.includes(':id') && !r.startsWith('POST /partners/'))) {
    it(`${route}: an unknown id is 404`, async () => {
      const { method, url } = splitRoute(route);
      for (const id of ['nope-0123456789ab', "x'; DROP TABLE customers; --", '../../etc/passwd', '%', '\u2019']) {
        // POST bodies are route-specific: the documented required fields, filled in, get past validation.
        const statuses: number[] = [];
        for (const payload of method === 'POST' ? ['{}', minimalBody(route)] : [undefined]) {
          const r = await app.inject({ method, url: url.replace(':id', encodeURIComponent(id)),
            headers: headersFor(route, 'application/json', payload), ...(payload !== undefined ? { payload } : {}) });
          expectWellFormed(r, `${route} ${JSON.stringify(id)}`);
          if (r.statusCode === 404) expect(r.json().error.code).toBe('not_found');
          statuses.push(r.statusCode);
        }
        // A POST may check its body before the id (a witness who is not this token: 403); a GET has only the id.
        if (method === 'GET') expect(statuses, `${route} ${JSON.stringify(id)}`).toEqual([404]);
        expect(statuses.every((s) => s === 404 || s === 400 || s === 403), `${route} ${JSON.stringify(id)}: ${statuses.join(',')}`).toBe(true);
      }
      // PostgreSQL text cannot hold NUL: refused before any query, naming where it was.
      const r = await app.inject({ method, url: url.replace(':id', 'a%00b'), headers: headersFor(route, 'application/json', '{}'), ...(method === 'POST' ? { payload: '{}' } : {}) });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toBe('path "id" contains a NUL character (\\u0000), which lethe does not accept');
    });
  }

  describe('findings, each refused cleanly now', () => {
    const send = (method: 'GET' | 'POST', url: string, role: keyof ServerFixture['tokens'], payload?: unknown) =>
      app.inject({ method, url, headers: bearer(f.tokens[role]), ...(payload !== undefined ? { payload: payload as object } : {}) });

    it('a NUL character in a body, query or path is a 400 naming where, before any query', async () => {
      const before = await snapshot();
      const hold = await send('POST', '/holds', 'operator', { subject: 'ok', reason: 'x\u0000' });
      expect(hold.statusCode).toBe(400);
      expect(hold.json().error.message).toBe('body "reason" contains a NUL character (\\u0000), which lethe does not accept');
      expect((await send('GET', '/plan?subject=%00', 'viewer')).json().error.message).toBe('query "subject" contains a NUL character (\\u0000), which lethe does not accept');
      expect((await send('POST', '/erasure-requests', 'operator', { subject: f.lender.customers.plain, ticket: 'T\u0000' })).statusCode).toBe(400);
      expect((await send('POST', '/events/consent-withdrawn', 'operator', { subject: 'a\u0000', purpose: 'marketing' })).statusCode).toBe(400);
      expect(await snapshot()).toEqual(before);
    });

    it('a subject id with control characters is refused', async () => {
      const r = await send('POST', '/holds', 'operator', { subject: 'a\nb', reason: 'x' });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toMatch(/^the subject id contains an invisible or control character \(U\+000A\)/);
    });

    it('a purge for a subject id the subject column cannot hold is refused (was a 500: invalid input for bigint)', async () => {
      const before = await snapshot();
      for (const subject of ["'; DROP TABLE customers; --", '1e309', '99999999999999999999999']) {
        const r = await send('POST', '/purge-requests', 'operator', { subject, reason: 'fuzz' });
        expect(r.statusCode, subject).toBe(400);
        expect(r.json().error.message).toMatch(/^no loaded policy's subject column can hold this subject id/);
      }
      const wide = await send('POST', '/purge-requests', 'operator', { subject: '１２３', reason: 'fuzz' });
      expect(wide.statusCode).toBe(400);
      expect(wide.json().error.message).toMatch(/give it as 123$/);
      expect(await snapshot()).toEqual(before);
    });

    it('an instant outside the years 0001-9999 is a 400 (was a 500: PostgreSQL date/time out of range)', async () => {
      const r = await send('GET', '/evidence/export?from=0000-01-01', 'auditor');
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toBe('"from" must be between the years 0001 and 9999');
      const c = await send('POST', '/events/consent-withdrawn', 'operator', { subject: 'a', purpose: 'marketing', withdrawn_at: '0000-01-01T00:00:00Z' });
      expect(c.statusCode).toBe(400);
      expect(c.json().error.message).toBe('"withdrawn_at" must be between the years 0001 and 9999');
    });

    it('router errors (bad %-escape, over-long path parameter) answer in the API\'s error shape', async () => {
      const bad = await send('GET', '/purge-requests/%ZZ', 'viewer');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ error: { code: 'bad_request', message: 'the URL is not valid: a %-escape in the path does not decode' } });
      const long = await send('GET', `/erasure-requests/${'x'.repeat(101)}`, 'viewer');
      expect(long.statusCode).toBe(414);
      expect(long.json()).toEqual({ error: { code: 'uri_too_long', message: 'a path parameter is longer than 100 characters' } });
    });

    it('the public partner route stops reading a body at 64 KiB (it buffered all of it before)', async () => {
      let read = 0;
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const endless = new Readable({
        read() {
          read += chunk.length;
          this.push(read > 64 * 1024 * 1024 ? null : chunk);
        },
      });
      const r = await app.inject({ method: 'POST', url: `/partners/${PARTNER}/confirmations`, payload: endless, headers: { 'content-type': 'application/json' } });
      expect(r.statusCode).toBe(413);
      expect(r.json().error.code).toBe('payload_too_large');
      expect(read).toBeLessThan(1024 * 1024);
    });
  });
});
