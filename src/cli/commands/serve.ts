import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { watchForStop, type StopWatch } from '../signals.ts';
import type { Io } from '../output.ts';
import { loadConfig, type Config } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { assertStoreCredentials } from '../../objects/stores.ts';
import { loadRuleset, withRuntime, type Runtime } from '../runtime.ts';
import { Queues, assertRedisAnswers, redisConnection } from '../../pipeline/queues.ts';
import { buildServer } from '../../server/app.ts';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

export const serveCommand: Command = {
  help: `Usage: lethe serve [--port N] [--host H] [--policies DIR]

Serves the admin HTTP API on http://H:N (default ${DEFAULT_HOST}:${DEFAULT_PORT}; --port 0 picks a
free port and prints it). Every endpoint except /healthz and /readyz needs an API token
("Authorization: Bearer <token>", see \`lethe tokens create\`); in a browser, open / and log in
with one. On SIGTERM or SIGINT (or when the process that started it goes) it stops accepting
requests, finishes those in flight and exits 0.

Endpoints:
  GET  /                            the retention overview page; a browser logs in there   any role
  GET  /docs                        every route, its roles, bodies and answers (a page)     any role
  GET  /metrics                     Prometheus: due now, last scan, batch durations…        any role
  GET  /healthz                     the process answers
  GET  /readyz                      PostgreSQL, Redis and the lethe schema are usable (503 if not)
  POST /events/consent-withdrawn    {"subject","purpose","withdrawn_at"?}            operator
  POST /erasure-requests            {"subject","ticket"}                             operator
  GET  /erasure-requests[/ID]       per-policy outcome of erasure requests           any role
  GET  /queues/                     BullMQ dashboard, on the same login                any role (actions: operator)
  …                                 every route as OpenAPI 3.1: GET /openapi.json

Examples:
  npx lethe serve
  npx lethe serve --host 0.0.0.0 --port 9000
  curl -H "Authorization: Bearer $LETHE_TOKEN" http://127.0.0.1:8080/erasure-requests`,
  async run(args, io) {
    const { flags } = parseFlags('serve', args, { port: { type: 'string' }, host: { type: 'string' }, policies: { type: 'string' } });
    // Listen before starting anything: a SIGTERM during start-up still ends in a clean exit 0.
    const stop = watchForStop();
    try {
      const port = parsePort(optionalString(flags, 'port'));
      const host = optionalString(flags, 'host') ?? DEFAULT_HOST;
      const cfg = loadConfig({ database: true, secret: true });
      await assertRedisAnswers(cfg.redisUrl);
      return await withRuntime(cfg, (rt) => serveUntil(rt, cfg, { port, host, policies: optionalString(flags, 'policies') }, stop, io));
    } finally {
      stop.dispose();
    }
  },
};

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`lethe serve: --port "${text}" must be a whole number from 0 to 65535`);
  return n;
}

async function serveUntil(rt: Runtime, cfg: Config, opts: { port: number; host: string; policies: string | undefined }, stop: StopWatch, io: Io): Promise<number> {
  const { port, host } = opts;
  const rules = await loadRuleset(rt, opts.policies ?? cfg.policiesDir);
  // Erasure requests sent to the API delete files: their stores' credentials must be set.
  assertStoreCredentials(rules.stores);
  const connection = redisConnection(cfg.redisUrl);
  const queues = new Queues(connection, cfg.queuePrefix);
  try {
    const app = buildServer({ ctx: rt.ctx, rules, config: cfg, enqueue: queues.enqueue, startedAt: new Date() });
    await app.listen({ port, host }).catch((e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
        throw new UsageError(`lethe serve: cannot listen on ${host}:${port} (${code}); choose another --port or --host`, { cause: e });
      }
      throw e;
    });
    const bound = app.server.address();
    const actualPort = typeof bound === 'object' && bound ? bound.port : port;
    rt.log.info({ host, port: actualPort, policies: rules.policies.length }, 'serve started');
    io.err(`lethe serve: listening on http://${host.includes(':') ? `[${host}]` : host}:${actualPort} (SIGTERM or Ctrl-C to stop)`);
    const why = await stop.requested;
    rt.log.info({ signal: why }, 'stopping: finishing requests in flight');
    await app.close();
    rt.log.info('serve stopped');
    return 0;
  } finally {
    await queues.close();
    connection.disconnect();
  }
}
