// What every chaos scenario shares: the size (CHAOS_RECORDS), a seeded random generator, a
// lender whose records each have an expected fate, a pool of `lethe worker` processes to kill
// and restart, and the one invariant checked after each fault: every due record destroyed
// exactly once with one evidence row, nothing held or floored touched, the chain intact.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedRejectedApplications } from '../fixtures/bulk.ts';
import { runCli, startCli } from '../cli/run-cli.ts';
import { one, rows } from '../../src/db/sql.ts';
import type { Db } from '../../src/db/connect.ts';
import { deriveKeys, recordRef } from '../../src/crypto/keys.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { addHold } from '../../src/holds/holds.ts';
import { systemClock } from '../../src/clock.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';

/** Due records per scenario: small in `npm test`, 200k in `npm run test:chaos`. */
export const CHAOS_RECORDS = Number(process.env.CHAOS_RECORDS ?? 4000);
/**
 * Per-scenario time limit: the faults slow a sweep down, and 2 cores are shared. A quiet run at
 * the CI size takes 10–40 s; under a load of 20 on 2 cores the same took over 120 s.
 */
export const CHAOS_TIMEOUT_MS = Number(process.env.CHAOS_TIMEOUT_MS ?? Math.max(360_000, CHAOS_RECORDS * 8));
export const CHAOS_POLICIES = 'test/fixtures/chaos';
export const POLICY = 'rejected-loan-applications';
/** ~60 batches whatever the size, so that faults land mid-sweep and many batches are in flight. */
export const CHAOS_BATCH = Math.max(25, Math.min(1000, Math.round(CHAOS_RECORDS / 60)));
const TABLE = 'public.loan_applications';
const KEYS = deriveKeys(TEST_SECRET);

export interface Random {
  seed: number;
  /** In [0, 1). */
  next(): number;
  int(min: number, max: number): number;
}

/** mulberry32, seeded from CHAOS_SEED or the clock; the seed is printed so a failure can be replayed. */
export function seededRandom(scenario: string): Random {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
  console.log(`chaos ${scenario}: CHAOS_SEED=${seed} CHAOS_RECORDS=${CHAOS_RECORDS}`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChaosLender {
  /** Records the sweep must destroy. */
  due: number;
  heldSubjects: string[];
}

/**
 * CHAOS_RECORDS due rejected applications (one document each, ~10 per customer) and a few
 * fresh ones; then holds on a few customers, and a floor on some records (filed 10 days ago:
 * the chaos policy keeps each 35 days after filing). `chaos_expected` records every
 * application's fate and record_ref, for `expectExactlyOnce`.
 */
export async function seedChaosLender(t: TestDb, env: Record<string, string>, opts: { floors?: boolean; holds?: number; records?: number } = {}): Promise<ChaosLender> {
  const now = new Date();
  const records = opts.records ?? CHAOS_RECORDS;
  await seedRejectedApplications(t.db, { due: records, fresh: Math.ceil(records / 50), now });
  const floors = opts.floors ?? true;
  if (floors) await t.db.execute(sql`UPDATE loan_applications SET applied_at = now() - interval '10 days' WHERE id % 53 = 0`);
  const heldSubjects = (await rows<{ id: string }>(t.db, sql`SELECT id::text FROM customers ORDER BY id LIMIT ${opts.holds ?? 3}`)).map((r) => r.id);
  const rules = await chaosRules(t);
  for (const s of heldSubjects) await addHold(chaosContext(t), rules, { subject: s, reason: 'chaos: held before the sweep', actor: 'chaos' });
  await recordFates(t.db, heldSubjects, floors);
  const due = Number((await one<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM chaos_expected WHERE fate = 'due'`))!.n);
  // The fates agree with lethe's own plan: this suite checks the pipeline, not a second opinion.
  const plan = await runCli(['plan', '--policy', POLICY, '--json'], env);
  expect(plan.code, plan.stderr).toBe(0);
  expect(JSON.parse(plan.stdout).policies[0]).toMatchObject({ due });
  return { due, heldSubjects };
}

async function recordFates(db: Db, heldSubjects: string[], floors: boolean): Promise<void> {
  await db.execute(sql`CREATE TABLE chaos_expected AS SELECT a.id, CASE
      WHEN a.customer_id::text = ANY(${sql.param(heldSubjects)}::text[]) THEN 'held'
      WHEN ${floors} AND a.applied_at > now() - interval '35 days' THEN 'floored'
      WHEN a.status = 'rejected' AND a.decided_at < now() - interval '30 days' THEN 'due'
      ELSE 'kept' END AS fate, ''::text AS ref,
      (SELECT count(*) FROM loan_application_documents d WHERE d.application_id = a.id)::int AS docs
    FROM loan_applications a`);
  await db.execute(sql`ALTER TABLE chaos_expected ADD PRIMARY KEY (id)`);
  const ids = (await rows<{ id: string }>(db, sql`SELECT id::text FROM chaos_expected`)).map((r) => r.id);
  for (let i = 0; i < ids.length; i += 20_000) {
    const chunk = ids.slice(i, i + 20_000);
    await db.execute(sql`UPDATE chaos_expected e SET ref = x.ref
      FROM unnest(${sql.param(chunk)}::bigint[], ${sql.param(chunk.map((id) => recordRef(KEYS, TABLE, id)))}::text[]) AS x(id, ref)
      WHERE e.id = x.id`);
  }
  await db.execute(sql`CREATE INDEX ON chaos_expected (ref)`);
}

/** The engine context the test itself acts through (holds placed in-process). */
export function chaosContext(t: TestDb): EngineContext {
  return { db: t.db, keys: KEYS, clock: systemClock, log: pino({ level: 'silent' }) };
}

/** The chaos policies checked against the test database: what a hold's subject id is read by. */
export async function chaosRules(t: TestDb): Promise<Ruleset> {
  return (await buildRuleset(t.db, await loadPolicies(CHAOS_POLICIES))).ruleset;
}

/** Marks a subject held mid-sweep: what of it is left must stay, what went before may have gone. */
export async function markHeldMidSweep(db: Db, subject: string): Promise<void> {
  await db.execute(sql`UPDATE chaos_expected e SET fate = 'late-held' FROM loan_applications a
    WHERE a.id = e.id AND a.customer_id::text = ${subject} AND e.fate = 'due'`);
  // Due records of the subject already destroyed stay 'due': their evidence predates the hold.
}

/** Due records still in the table (a network blip is retried: some scenarios kill connections). */
export async function dueLeft(db: Db): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await one<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM chaos_expected e
        JOIN loan_applications a USING (id) WHERE e.fate = 'due'`);
      return Number(r!.n);
    } catch (e) {
      if (attempt >= 20) throw e;
      await sleep(100);
    }
  }
}

export function chaosEnv(t: TestDb, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: prefix,
    LETHE_POLICIES: CHAOS_POLICIES, LETHE_BATCH_SIZE: String(CHAOS_BATCH), LETHE_SCAN_EVERY: 'PT1S',
    LETHE_RECONCILE_EVERY: 'PT2S', LOG_LEVEL: 'warn', LETHE_OPERATOR: 'chaos', ...extra,
  };
}

type Child = ReturnType<typeof startCli>;

/** `lethe worker` processes to kill and restart; each keeps the tail of its stderr for a failure message. */
export class WorkerPool {
  private readonly children: (Child | undefined)[];
  private readonly tails: string[];
  private readonly ready: Promise<void>[] = [];
  kills = 0;

  constructor(private readonly env: Record<string, string>, size: number) {
    this.children = Array.from({ length: size });
    this.tails = Array.from({ length: size }, () => '');
  }

  start(): void {
    for (let i = 0; i < this.children.length; i++) if (!this.alive(i)) this.spawn(i);
  }

  private alive(i: number): boolean {
    const c = this.children[i];
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  private spawn(i: number): void {
    const child = startCli(['worker'], this.env);
    this.tails[i] = '';
    this.ready[i] = new Promise((resolve) => {
      child.stderr.on('data', (d) => {
        this.tails[i] = (this.tails[i] + String(d)).slice(-4000);
        if (this.tails[i]!.includes('lethe worker: running queues')) resolve();
      });
      child.once('close', () => resolve());
    });
    child.stdout.resume();
    this.children[i] = child;
  }

  /** Resolves once worker `i` runs its queues (or is gone): a kill before that tests only start-up. */
  whenReady(i: number): Promise<void> {
    return this.ready[i] ?? Promise.resolve();
  }

  /** SIGKILL one worker and wait for it to be gone. */
  async kill(i: number): Promise<void> {
    const c = this.children[i];
    if (!c || !this.alive(i)) return;
    const gone = new Promise((r) => c.once('close', r));
    c.kill('SIGKILL');
    await gone;
    this.kills++;
  }

  restart(i: number): void {
    if (!this.alive(i)) this.spawn(i);
  }

  get size(): number {
    return this.children.length;
  }

  /** Workers that died on their own (not killed by the test) with their last words. */
  crashed(): string[] {
    return this.children.flatMap((c, i) => (c && c.exitCode !== null && c.exitCode !== 0 ? [`worker ${i} exit ${c.exitCode}: ${this.tails[i]}`] : []));
  }

  stderr(): string {
    return this.tails.map((t, i) => `--- worker ${i}\n${t}`).join('\n');
  }

  /** SIGTERM (the clean stop), SIGKILL after `graceMs`; resolves when every process is gone. */
  async stop(graceMs = 20_000): Promise<void> {
    await Promise.all(this.children.map(async (c, i) => {
      if (!c || !this.alive(i)) return;
      const gone = new Promise((r) => c.once('close', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    }));
  }
}

export interface ChaosFile {
  /** This file's database (set in beforeAll). */
  t: TestDb;
  q: ReturnType<typeof createQueuePrefix>;
  pool?: WorkerPool;
  /** Run at teardown, after the workers stop and before the database goes. */
  cleanups: (() => Promise<void>)[];
}

/** Registers the file's database, queue prefix and teardown (workers first, so none outlives its database). */
export function chaosFile(label: string): ChaosFile {
  const file: ChaosFile = { t: undefined as unknown as TestDb, q: createQueuePrefix(`chaos-${label}`), cleanups: [] };
  beforeAll(async () => {
    file.t = await createTestDb(`chaos_${label}`);
  });
  afterAll(async () => {
    await file.pool?.stop(1000);
    for (const c of file.cleanups) await c();
    await file.q.cleanup();
    await file.t?.drop();
  });
  return file;
}

/** Polls until no due record is left, running `fault` between polls; fails with the workers' stderr. */
export async function sweepUnderFault(db: Db, pool: WorkerPool, fault: () => Promise<void>, timeoutMs = CHAOS_TIMEOUT_MS - 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let left: number;
  while ((left = await dueLeft(db)) > 0) {
    if (process.env.CHAOS_TRACE) console.log(new Date().toISOString(), 'left', left, 'kills', pool.kills);
    if (Date.now() > end) throw new Error(`due records left after ${timeoutMs} ms (kills: ${pool.kills})\n${pool.stderr()}`);
    await fault();
  }
}

/**
 * The invariant. `G` = expected rows no longer in the table; `E` = delete evidence for it.
 * Every due record is in `G`; nothing held, floored or kept is; `E` names each of `G` once and
 * nothing else; child evidence matches the children of `G`; the batches' own totals agree;
 * `evidence verify` passes.
 */
export async function expectExactlyOnce(db: Db): Promise<void> {
  const [r] = await rows<Record<string, string>>(db, sql`WITH gone AS (
      SELECT e.* FROM chaos_expected e WHERE NOT EXISTS (SELECT 1 FROM loan_applications a WHERE a.id = e.id)),
    ev AS (SELECT record_ref FROM lethe.evidence WHERE "table" = ${TABLE} AND action = 'delete')
    SELECT
      (SELECT count(*) FROM chaos_expected e JOIN loan_applications a USING (id) WHERE e.fate = 'due')::text AS due_left,
      (SELECT count(*) FROM gone WHERE fate NOT IN ('due', 'late-held'))::text AS wrongly_gone,
      (SELECT count(*) FROM gone)::text AS gone,
      (SELECT count(*) FROM ev)::text AS evidence,
      (SELECT count(DISTINCT record_ref) FROM ev)::text AS distinct_evidence,
      (SELECT count(*) FROM ev WHERE NOT EXISTS (SELECT 1 FROM gone WHERE gone.ref = ev.record_ref))::text AS evidence_not_gone,
      (SELECT coalesce(sum(docs), 0) FROM gone)::text AS docs_gone,
      (SELECT count(*) FROM lethe.evidence WHERE "table" = 'public.loan_application_documents' AND action = 'delete')::text AS docs_evidence,
      (SELECT coalesce(sum(destroyed), 0) FROM lethe.batches WHERE policy_id = ${POLICY})::text AS batch_destroyed`);
  expect(r, 'exactly once').toEqual({
    due_left: '0', wrongly_gone: '0', gone: r!.gone, evidence: r!.gone, distinct_evidence: r!.gone, evidence_not_gone: '0',
    docs_gone: r!.docs_gone, docs_evidence: r!.docs_gone, batch_destroyed: r!.gone,
  });
  const verify = await verifyEvidence(db, KEYS);
  expect(verify).toMatchObject({ ok: true, first_broken: null });
}

/** A Redis of the scenario's own on a free port, to flush and kill: never the shared one at 6379. */
export interface OwnRedis {
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  flushAll(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const ping = async () => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  };
  const own: OwnRedis = {
    url,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
      const end = Date.now() + 10_000;
      while (!(await ping())) {
        if (Date.now() > end) throw new Error(`redis-server did not start on port ${port}`);
        await sleep(50);
      }
    },
    async kill() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    },
    async flushAll() {
      const r = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
    },
  };
  await own.start();
  return own;
}
