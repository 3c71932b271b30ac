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
