// GET /openapi.json, and GET /docs: the same document as a page a person reads.
import type { FastifyInstance } from 'fastify';
import { secured, type RouteEnv } from '../route.ts';
import { openApiDocument } from '../openapi.ts';
import { renderDocsHtml } from '../pages/docs.ts';
import { PAGE_HEADERS } from './overview.ts';
import { version } from '../../version.ts';

export function registerOpenApiRoutes(app: FastifyInstance, env: RouteEnv): void {
  // Built once: the routes are fixed when the server starts.
  const doc = openApiDocument(version());
  const page = renderDocsHtml(doc);
  secured(app, env, 'GET /openapi.json', async () => doc);
  secured(app, env, 'GET /docs', async (_request, reply) => reply.headers(PAGE_HEADERS).send(page));
}
