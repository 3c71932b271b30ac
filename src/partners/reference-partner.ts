// A reference partner: a real HTTP server that receives lethe's purge requests, checks their
// signatures, honours the Idempotency-Key (a repeated request is answered, never processed
// twice), "deletes", and confirms by calling back lethe's confirmation endpoint, signed. Fault
// switches make it fail the ways real partners do. Used by the tests, the demo and the bench.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HEADER_IDEMPOTENCY, HEADER_SIGNATURE, HEADER_TIMESTAMP, signedHeaders, verifySignature } from './signature.ts';

export interface PartnerFaults {
  /** Share (0–1) of requests answered 503 before anything is processed. */
  failRate?: number;
  /** Share of requests processed and then never answered: the response is lost, lethe times out. */
  timeoutRate?: number;
  /** Share answered 429 with Retry-After: 1. */
  rateLimitRate?: number;
  /** Share whose connection is reset before anything is processed: a network error for lethe. */
  resetRate?: number;
  /** Share processed and answered 200 with a body that is not JSON (a proxy's error page). */
  garbageRate?: number;
  /** Every request waits this long before it is processed. */
  slowMs?: number;
  /** Answer every request with this status (e.g. 400): a partner refusing the requests. */
  alwaysStatus?: number;
  /** Sign confirmations with the wrong secret. */
  badSignature?: boolean;
  /** Accept requests but never confirm them. */
  neverConfirm?: boolean;
}

export interface ReferencePartnerOptions {
  partnerId: string;
  secret: string;
  /** Base URL of `lethe serve` (the confirmation goes to /partners/<id>/confirmations). */
  lethe: string;
  port?: number;
  faults?: PartnerFaults;
  random?: () => number;
}

export interface ReferencePartner {
  readonly url: string;
  /** Deliveries per request id, repeats included. */
  readonly deliveries: Map<string, number>;
  /** Request ids processed (deleted): once each, whatever the repeats. */
  readonly processed: Map<string, string[]>;
  /** Request ids whose confirmation lethe accepted; and the statuses of refused ones. */
  readonly confirmed: Set<string>;
  readonly confirmRefusals: number[];
  readonly badSignatures: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  setFaults(f: PartnerFaults): void;
  /** Where lethe serve listens (when it starts after the partner). */
  setLethe(url: string): void;
  close(): Promise<void>;
}

const CONFIRM_TRIES = 5;

export async function startReferencePartner(opts: ReferencePartnerOptions): Promise<ReferencePartner> {
  let faults: PartnerFaults = { ...opts.faults };
  let lethe = opts.lethe;
  const random = opts.random ?? Math.random;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = {
    deliveries: new Map<string, number>(), processed: new Map<string, string[]>(), confirmed: new Set<string>(),
    confirmRefusals: [] as number[], badSignatures: 0, inFlight: 0, maxInFlight: 0, closed: false,
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => { const t = setTimeout(() => { timers.delete(t); resolve(); }, ms); timers.add(t); });

  async function confirm(requestId: string): Promise<void> {
    for (let i = 0; i < CONFIRM_TRIES && !state.closed; i++) {
      const body = JSON.stringify({ request_id: requestId, status: 'deleted', deleted_at: new Date().toISOString() });
      const headers = signedHeaders(faults.badSignature ? `${opts.secret}-wrong` : opts.secret, body, new Date());
      try {
        const res = await fetch(`${lethe}/partners/${opts.partnerId}/confirmations`, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.ok) {
          state.confirmed.add(requestId);
          return;
        }
        state.confirmRefusals.push(res.status);
        if (res.status < 500) return;
      } catch {
        // lethe serve unreachable: try again shortly
      }
      await sleep(100 * 2 ** i);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const h = (n: string) => (Array.isArray(req.headers[n]) ? req.headers[n][0] : req.headers[n] as string | undefined);
    const check = verifySignature(opts.secret, h(HEADER_TIMESTAMP), h(HEADER_SIGNATURE), body, new Date());
    if (!check.ok) {
      state.badSignatures++;
      res.writeHead(401).end(JSON.stringify({ error: check.reason }));
      return;
    }
    const msg = JSON.parse(body) as { request_id: string; type: string; subjects: string[] };
    state.deliveries.set(msg.request_id, (state.deliveries.get(msg.request_id) ?? 0) + 1);
    if (faults.alwaysStatus) return void res.writeHead(faults.alwaysStatus).end('{"error":"refused"}');
    if (random() < (faults.failRate ?? 0)) return void res.writeHead(503).end('{"error":"unavailable"}');
    if (random() < (faults.rateLimitRate ?? 0)) return void res.writeHead(429, { 'retry-after': '1' }).end('{"error":"slow down"}');
    if (random() < (faults.resetRate ?? 0)) return void req.socket.destroy();
    if (faults.slowMs) await sleep(faults.slowMs);
    // Idempotency: the key, not the body, says whether this was already done.
    const key = h(HEADER_IDEMPOTENCY) ?? msg.request_id;
    const first = !state.processed.has(key);
    if (first) state.processed.set(key, msg.subjects);
    const shouldConfirm = !faults.neverConfirm && (first || msg.type === 'reminder') && !state.confirmed.has(msg.request_id);
    if (shouldConfirm) setImmediate(() => void confirm(msg.request_id));
    if (random() < (faults.timeoutRate ?? 0)) return; // processed, but the answer never comes
    if (random() < (faults.garbageRate ?? 0)) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body>\u0000\xff');
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ request_id: msg.request_id, accepted: true }));
  }

  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    const done = () => { state.inFlight--; };
    res.on('close', done);
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500).end(); });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/purge-requests`,
    get deliveries() { return state.deliveries; },
    get processed() { return state.processed; },
    get confirmed() { return state.confirmed; },
    get confirmRefusals() { return state.confirmRefusals; },
    get badSignatures() { return state.badSignatures; },
    get maxInFlight() { return state.maxInFlight; },
    setFaults(f) { faults = { ...f }; },
    setLethe(url) { lethe = url; },
    async close() {
      state.closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
