// Partner receipts: `POST /partners/:id/confirmations`. A partner holds no API token: it proves
// itself with the HMAC of the shared secret over the exact bytes it sent, so the route is in
// PUBLIC_ROUTES (no bearer check) and checks the signature itself, on the raw body captured
// before JSON parsing (re-serialised JSON would not match what the partner signed).
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../app.ts';
import { publicRoute } from '../route.ts';
import { BODY_LIMIT_BYTES, errorBody } from '../errors.ts';
import { confirmRequest } from '../../partners/confirm.ts';
import { loadPartnerRegistry } from '../../partners/registry.ts';
import { HEADER_SIGNATURE, HEADER_TIMESTAMP } from '../../partners/signature.ts';

const RAW = Symbol('lethe.rawBody');
type WithRaw = FastifyRequest & { [RAW]?: string };

const header = (r: FastifyRequest, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function registerPartnerRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const registry = deps.partners ?? loadPartnerRegistry(deps.config.partnersFile);
  publicRoute(app, 'POST /partners/:id/confirmations', async (request, reply) => {
    const { id } = request.params as { id: string };
    const result = await confirmRequest(deps.ctx, registry, id, {
      timestamp: header(request, HEADER_TIMESTAMP), signature: header(request, HEADER_SIGNATURE), body: (request as WithRaw)[RAW] ?? '',
    }, deps.partnerSecrets);
    if (!result.ok) return reply.code(result.status).send(errorBody({ code: result.code, message: result.message }));
    return reply.code(200).send({ request_id: result.requestId, status: 'confirmed' });
  });
  // Keep the exact bytes for the signature check, then let fastify parse the same bytes.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.routeOptions.url !== '/partners/:id/confirmations') return payload;
    // This route is public: stop reading at the body limit, or anyone could make us buffer gigabytes.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of payload) {
      const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) throw Object.assign(new Error('body too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    (request as WithRaw)[RAW] = raw.toString('utf8');
    return Readable.from([raw]);
  });
}
