// Partner fan-out: 10,000 purge requests delivered through lethe's partner workers (a BullMQ
// queue per partner, max_concurrency as its global concurrency) to reference partners on
// loopback, each confirmed back through `lethe serve`'s confirmation route. Reports throughput
// from the first send to the last confirmation, and the most requests each partner saw in flight
// against its limit: a limit exceeded fails the bench.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { arrayParam, rows } from '../src/db/sql.ts';
import { loadConfig } from '../src/config.ts';
import { deriveKeys } from '../src/crypto/keys.ts';
import { systemClock } from '../src/clock.ts';
import { createLogger } from '../src/log.ts';
import { buildRuleset } from '../src/policy/ruleset.ts';
import { buildServer } from '../src/server/app.ts';
import { Queues, redisConnection } from '../src/pipeline/queues.ts';
import { parsePartnerRegistry } from '../src/partners/registry.ts';
import { startReferencePartner, type ReferencePartner } from '../src/partners/reference-partner.ts';
import { startPartnerWorkers } from '../src/partners/workers.ts';
import { DEFAULT_DELIVERY } from '../src/partners/deliver.ts';
import { deliveryJobId } from '../src/partners/sweep.ts';
import { registry as jobs } from '../jobs/index.ts';

export interface PartnerBenchOptions {
  host: string;
  requests?: number;
  keep?: boolean;
  log: (msg: string) => void;
}

export interface PartnerBenchResult {
  requests: number;
  confirmed: number;
  failed: number;
  seconds: number;
  rate: number;
  enqueueSeconds: number;
  partnerWorkMs: number;
  partners: { id: string; maxConcurrency: number; requests: number; maxInFlight: number; held: boolean }[];
  limitsHeld: boolean;
}

const DB = 'lethe_bench_partners';
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
/** Three partners, the work split evenly, each with its own limit. */
const PARTNERS = [
  { id: 'bench-slow-lane', maxConcurrency: 2 },
  { id: 'bench-mid-lane', maxConcurrency: 4 },
  { id: 'bench-fast-lane', maxConcurrency: 8 },
] as const;
const TIMEOUT_MS = 110_000;
/**
 * What each partner takes to process a request. On loopback a call otherwise lasts a
 * millisecond and calls seldom overlap, so the in-flight maximum would prove nothing.
 */
const PARTNER_WORK_MS = 25;

const partnerSecret = (id: string) => `${id}-secret-${'0123456789abcdef'.repeat(2)}`;

async function admin(host: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${host}/postgres` });
  await c.connect();
  try { await c.query(text); } finally { await c.end(); }
}

export async function runPartnerBench(o: PartnerBenchOptions): Promise<PartnerBenchResult> {
  const total = o.requests ?? 10_000;
  const url = `${o.host}/${DB}`;
  await admin(o.host, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(o.host, `CREATE DATABASE ${DB}`);
  await migrateServer(url);
  const prefix = `lethe-bench-partners-${process.pid}-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ database: true, secret: true }, {
    DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LETHE_SECRET: SECRET,
    LETHE_QUEUE_PREFIX: prefix, LOG_LEVEL: 'error',
  });
  const database = openPostgres(url, { maxConnections: 16 });
  const log = createLogger('error');
  const ctx = { db: database.db, keys: deriveKeys(SECRET), clock: systemClock, log };
  const secrets = (env: string): string | undefined => {
    const p = PARTNERS.find((x) => secretEnv(x.id) === env);
    return p ? partnerSecret(p.id) : undefined;
  };
  const refs: Record<string, ReferencePartner> = {};
  for (const p of PARTNERS) refs[p.id] = await startReferencePartner({ partnerId: p.id, secret: partnerSecret(p.id), lethe: 'http://127.0.0.1:9', faults: { slowMs: PARTNER_WORK_MS } });
  const registry = parsePartnerRegistry(`partners:\n${PARTNERS.map((p) => `  - id: ${p.id}
    name: ${p.id}
    endpoint: ${refs[p.id]!.url}
    status: active
    categories: [loan-application]
    confirm_within: P15D
    secret_env: ${secretEnv(p.id)}
    max_concurrency: ${p.maxConcurrency}
    timeout: PT10S`).join('\n')}\n`, 'bench-partners.yaml');
  const { ruleset: rules } = await buildRuleset(database.db, []);
  const connection = redisConnection(config.redisUrl);
  const queues = new Queues(connection, prefix);
  const server = buildServer({ ctx, rules, config, enqueue: queues.enqueue, startedAt: new Date(), partners: registry, partnerSecrets: secrets });
  const serverUrl = await server.listen({ port: 0, host: '127.0.0.1' });
  for (const r of Object.values(refs)) r.setLethe(serverUrl);
  let workers: Awaited<ReturnType<typeof startPartnerWorkers>> | undefined;
  try {
    o.log(`partner fan-out: ${total} requests to ${PARTNERS.length} reference partners (max_concurrency ${PARTNERS.map((p) => p.maxConcurrency).join('/')})…`);
    // The outbox rows a sweep would have written: one subject each, the partner's own reference;
    // shared out in proportion to the limits, so every lane is busy until the end.
    const lanes = PARTNERS.flatMap((p) => Array<string>(p.maxConcurrency).fill(p.id));
    await database.db.execute(sql`INSERT INTO lethe.partner_requests (id, partner_id, dedupe_key, status, trigger, run_id, batch_id,
        policy_id, policy_version, classification, actor, categories, subject_refs, payload, next_attempt_at, created_at)
      SELECT gen_random_uuid(), (${arrayParam(lanes)}::text[])[1 + i % ${lanes.length}],
        'bench:' || i, 'pending', 'expiry', gen_random_uuid(), gen_random_uuid(), 'rejected-loan-applications', 'bench',
        'C3', 'system:bench', ARRAY['loan-application'], ARRAY[encode(sha256(i::text::bytea), 'hex')],
        jsonb_build_object('subjects', jsonb_build_array('REF-' || i)), now(), now()
      FROM generate_series(1, ${total}) AS i`);
    const all = await rows<{ id: string; partner_id: string }>(database.db, sql`SELECT id::text, partner_id FROM lethe.partner_requests`);
    const enqStarted = Date.now();
    for (let i = 0; i < all.length; i += 500) {
      await Promise.all(all.slice(i, i + 500).map((r) => queues.enqueue('notify-partner', { requestId: r.id, partnerId: r.partner_id }, deliveryJobId(r.id, 0))));
    }
    const enqueueSeconds = (Date.now() - enqStarted) / 1000;
    const started = process.hrtime.bigint();
    workers = await startPartnerWorkers({ ...ctx, rules, config, enqueue: queues.enqueue }, jobs,
      { registry, delivery: { ...DEFAULT_DELIVERY, baseDelayMs: 200, maxDelayMs: 2000, secrets } }, { connection, prefix, queues });
    const counts = async () => new Map((await rows<{ status: string; n: string }>(database.db,
      sql`SELECT status, count(*)::text AS n FROM lethe.partner_requests GROUP BY status`)).map((r) => [r.status, Number(r.n)]));
    let c = await counts();
    let lastProgress = Date.now();
    while ((c.get('confirmed') ?? 0) + (c.get('failed') ?? 0) < total) {
      if (Number(process.hrtime.bigint() - started) / 1e6 > TIMEOUT_MS) throw new Error(`partner bench: not settled after ${TIMEOUT_MS / 1000} s: ${JSON.stringify(Object.fromEntries(c))}`);
      await new Promise((r) => setTimeout(r, 200));
      c = await counts();
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        o.log(`  ${c.get('confirmed') ?? 0} confirmed, ${c.get('sent') ?? 0} awaiting confirmation, ${c.get('pending') ?? 0} pending`);
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const per = new Map((await rows<{ partner_id: string; n: string }>(database.db,
      sql`SELECT partner_id, count(*)::text AS n FROM lethe.partner_requests GROUP BY partner_id`)).map((r) => [r.partner_id, Number(r.n)]));
    const partners = PARTNERS.map((p) => ({
      id: p.id, maxConcurrency: p.maxConcurrency, requests: per.get(p.id) ?? 0,
      maxInFlight: refs[p.id]!.maxInFlight, held: refs[p.id]!.maxInFlight <= p.maxConcurrency,
    }));
    const confirmed = c.get('confirmed') ?? 0;
    return {
      requests: total, confirmed, failed: c.get('failed') ?? 0, seconds, rate: confirmed / seconds, enqueueSeconds, partnerWorkMs: PARTNER_WORK_MS,
      partners, limitsHeld: partners.every((p) => p.held),
    };
  } finally {
    await workers?.close();
    for (const p of PARTNERS) await queues.partnerQueue(p.id).obliterate({ force: true }).catch(() => {});
    await queues.close();
    connection.disconnect();
    await server.close();
    for (const r of Object.values(refs)) await r.close();
    await database.close();
    if (!o.keep) await admin(o.host, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

function secretEnv(id: string): string {
  return `LETHE_BENCH_${id.toUpperCase().replace(/-/g, '_')}_SECRET`;
}

/** Prints the figures, merges them into bench/results/latest.json; false when a limit was exceeded. */
export function reportPartnerBench(r: PartnerBenchResult): boolean {
  console.log([
    `partner fan-out            ${r.confirmed} of ${r.requests} requests confirmed (${r.failed} failed) in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(0)} requests/s (enqueue ${r.enqueueSeconds.toFixed(1)} s, not counted; each partner takes ${r.partnerWorkMs} ms per request)`,
    ...r.partners.map((p) => `  ${p.id.padEnd(24)} ${String(p.requests).padStart(5)} requests, max in flight ${p.maxInFlight} / limit ${p.maxConcurrency}  ${p.held ? 'held' : 'EXCEEDED'}`),
  ].join('\n'));
  mkdirSync('bench/results', { recursive: true });
  const file = 'bench/results/latest.json';
  const prior = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> : {};
  writeFileSync(file, JSON.stringify({ ...prior, partners: { at: new Date().toISOString(), ...r } }, null, 2));
  if (!r.limitsHeld) console.error('bench: a partner saw more requests in flight than its max_concurrency');
  if (r.confirmed + r.failed !== r.requests || r.failed > 0) console.error(`bench: ${r.failed} partner requests failed`);
  return r.limitsHeld && r.failed === 0 && r.confirmed === r.requests;
}
