// GET /openapi.json: every route the server registers is in the document, with its method,
// its roles (x-roles, as in src/server/roles.ts) and, for POSTs with a body, the body's fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { DASHBOARD_PREFIX, PREFIX_ROLES, PUBLIC_ROUTES, ROUTE_ROLES, prefixOf } from '../../src/server/roles.ts';
import { openApiPath } from '../../src/server/openapi.ts';
import { boardRoutes, collectBoard } from '../../src/server/dashboard/board.ts';

type Op = { 'x-roles'?: string[]; requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } } };

let f: ServerFixture;
let app: FastifyInstance;
const registered: string[] = [];

beforeAll(async () => {
  f = await serverFixture('openapi');
  app = buildServer(f.deps());
  await app.ready();
  registered.push(...routesOf(app.printRoutes({ commonPrefix: false })));
});
afterAll(async () => {
  await app?.close();
  await f?.drop();
});

describe('GET /openapi.json', () => {
  it('lists every registered route with its methods and roles', async () => {
    const r = await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(f.tokens.viewer) });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as { openapi: string; paths: Record<string, Record<string, Op>> };
    expect(doc.openapi).toBe('3.1.0');
    const dashboard = boardRoutes(collectBoard(DASHBOARD_PREFIX), DASHBOARD_PREFIX);
    expect(registered.length).toBe(Object.keys(ROUTE_ROLES).length + PUBLIC_ROUTES.length + dashboard.length);
    // fastify's printed tree drops a wildcard's static parent: `/queues/static/*` shows as `/queues/*`.
    const wildcards = dashboard.filter((r) => r.url.endsWith('*')).map((r) => `${r.method} ${r.url}`);
    const keys = registered.map((k) => (k.endsWith('*') && !wildcards.includes(k) ? wildcards.find((w) => w.startsWith(k.slice(0, -1))) ?? k : k));
    for (const key of keys) {
      const [method, url] = key.split(' ') as [string, string];
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op, key).toBeDefined();
      const tableRoles = (ROUTE_ROLES as Record<string, readonly string[]>)[key];
      const prefix = PUBLIC_ROUTES.includes(key as never) ? undefined : prefixOf(method, url);
      const roles = tableRoles ?? (prefix ? PREFIX_ROLES[prefix] : undefined);
      expect(op!['x-roles'], key).toEqual(roles ? [...roles] : undefined);
      // bull-board's request bodies are its own, documented by bull-board.
      if (method === 'POST' && tableRoles) expect(Object.keys(op!.requestBody!.content['application/json'].schema.properties ?? {}), key).not.toHaveLength(0);
    }
    const consent = doc.paths['/events/consent-withdrawn']!.post!;
    expect(Object.keys(consent.requestBody!.content['application/json'].schema.properties!)).toEqual(['subject', 'purpose', 'withdrawn_at']);
  });

  it('describes what each route answers: real answers match their documented shapes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(f.tokens.viewer) })).json() as OpenApi;
    const as = (role: keyof typeof f.tokens) => ({ ...bearer(f.tokens[role]), 'content-type': 'application/json' });
    const call = async (method: 'GET' | 'POST', url: string, role: keyof typeof f.tokens, body?: unknown) => {
      const r = await app.inject({ method, url, headers: as(role), ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
      const path = url.split('?')[0]!;
      const route = Object.keys(doc.paths).find((k) => new RegExp(`^${k.replace(/\{\w+\}/g, '[^/]+')}$`).test(path))!;
      const op = doc.paths[route]![method.toLowerCase()]!;
      const documented = Object.keys(op.responses).find((k) => !/^4/.test(k))!;
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBe(Number(documented));
      const schema = op.responses[documented]!.content?.['application/json']?.schema;
      if (schema) expect(conform(r.json(), schema, doc), `${method} ${url}`).toEqual([]);
      return r;
    };
    const erasure = (await call('POST', '/erasure-requests', 'operator', { subject: f.lender.customers.plain, ticket: 'OA-1' })).json() as { id: string };
    await call('GET', '/erasure-requests', 'viewer');
    await call('GET', `/erasure-requests/${erasure.id}`, 'viewer');
    await call('POST', '/events/consent-withdrawn', 'operator', { subject: f.lender.customers.plain, purpose: 'marketing' });
    const hold = (await call('POST', '/holds', 'operator', { subject: f.lender.customers.held, reason: 'litigation' })).json() as { id: string };
    await call('GET', '/holds', 'auditor');
    await call('GET', '/plan', 'viewer');
    await call('GET', `/plan?subject=${f.lender.customers.plain}`, 'viewer');
    await call('POST', `/holds/${hold.id}/release`, 'operator', { reason: 'closed' });
    const purge = (await call('POST', '/purge-requests', 'operator', { policy: 'rejected-loan-applications', reason: 'backlog' })).json() as { id: string };
    await call('GET', '/purge-requests', 'viewer');
    await call('GET', `/purge-requests/${purge.id}`, 'viewer');
    await call('POST', `/purge-requests/${purge.id}/approve`, 'approver', {});
    await call('GET', '/destruction-tasks?all=true', 'viewer');
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(conform(health.json(), doc.paths['/healthz']!.get!.responses['200']!.content!['application/json']!.schema!, doc)).toEqual([]);
    // The validator itself is not a yes-man.
    expect(conform({ holds: [{ id: 1 }] }, { $ref: '#/components/schemas/Hold' }, doc)).not.toEqual([]);
  });

  it('serves the document as a page to read: every route, no script, no external asset', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs', headers: bearer(f.tokens.viewer) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).not.toMatch(/<script|https?:\/\/(?!127)/i);
    for (const key of Object.keys(ROUTE_ROLES)) expect(r.body, key).toContain(`<code>${openApiPath(key.split(' ')[1]!)}</code>`);
    expect(r.body).toContain('id="schema-ErasureRequest"');
    const browser = await app.inject({ method: 'GET', url: '/docs', headers: { accept: 'text/html' } });
    expect(browser.statusCode).toBe(401);
    expect(browser.body).toContain('<input type="hidden" name="next" value="/docs">');
  });

  it('needs a token', async () => {
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(401);
  });
});

/**
 * `METHOD /path` for every route in fastify's printed tree (each node's text is the path segment
 * below its parent's, four columns deeper): what the router really holds, table or not.
 */
function routesOf(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[└├]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    if (m[3]) for (const method of m[3].split(', ')) out.push(`${method} ${stack.join('')}`);
  }
  return out;
}

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

/** Where `value` breaks `schema` (types, required keys, enums, nested objects and arrays); [] when it conforms. */
function conform(value: unknown, schema: Record<string, unknown>, doc: OpenApi, at = '$'): string[] {
  if (typeof schema.$ref === 'string') return conform(value, doc.components.schemas[schema.$ref.split('/').pop()!]!, doc, at);
  if (Array.isArray(schema.allOf)) return (schema.allOf as Record<string, unknown>[]).flatMap((s) => conform(value, s, doc, at));
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string | string[]);
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length > 0 && !types.includes(kind) && !(kind === 'integer' && types.includes('number'))) return [`${at}: ${kind}, documented ${types.join('|')}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: ${String(value)} not in ${schema.enum.join(', ')}`];
  if ('const' in schema && schema.const !== value) return [`${at}: ${String(value)} is not ${String(schema.const)}`];
  if (kind === 'array' && schema.items) return (value as unknown[]).flatMap((v, i) => conform(v, schema.items as Record<string, unknown>, doc, `${at}[${i}]`));
  if (kind !== 'object') return [];
  const o = value as Record<string, unknown>;
  const missing = ((schema.required ?? []) as string[]).filter((k) => !(k in o)).map((k) => `${at}.${k}: missing`);
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return [...missing, ...Object.entries(props).filter(([k]) => k in o).flatMap(([k, s]) => conform(o[k], s, doc, `${at}.${k}`))];
}
