import type { FastifyInstance } from 'fastify';
import { secured, type RouteEnv } from '../route.ts';
import { openApiDocument } from '../openapi.ts';

export function registerOpenApiRoutes(app: FastifyInstance, env: RouteEnv): void {
  // Built once: the routes are fixed when the server starts.
  const doc = openApiDocument('0.1.0');
  secured(app, env, 'GET /openapi.json', async () => doc);
}
