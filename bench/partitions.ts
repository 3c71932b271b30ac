// npm run bench -- --only partitions [--rows 10000000] [--keep]
// An access-log table partitioned by day (pg_partman), ~60% of its rows due in whole
// partitions, destroyed three ways on copies of one seed, in the same run: lethe dropping whole
// partitions, lethe forced to row batches (LETHE_DROP_PARTITIONS=false), and pg_partman's
// run_maintenance dropping the same partitions with no evidence, holds or floors (the limit).
// Then where lethe's time goes: the refs and row hashes Node computes, and PostgreSQL's insert
// of the evidence rows, each timed on its own.
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { admin, copyDb, dropDb, scalar, settle, url } from './db.ts';
import { runLethe, SECRET, type LetheEnv } from './process.ts';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { createLenderSchema } from '../src/lender/schema.ts';
import { partitionAccessLogs } from '../src/lender/partitioned.ts';
import { deriveKeys, recordRef } from '../src/crypto/keys.ts';
import { rowHasher } from '../src/evidence/row-hash.ts';
import { batchStartHash } from '../src/evidence/hash.ts';

const DAY_MS = 86_400_000;
/** Days of logs, one partition each; the bench policy keeps them 40 days (bench/policies-partitions). */
const DAYS = 100;
const RETAIN_DAYS = 40;
const POLICIES = 'bench/policies-partitions';
export const PARTITIONS_TARGET = 5;

export interface PartitionBenchResult {
  rows: number;
  due: number;
  partitions: number;
  seedSeconds: number;
  whole: PathRun;
  rowPath: PathRun;
  partman: { seconds: number; rate: number; dropped: number };
  ratio: number;
  /** Node: one record ref and one row hash per record (the subject refs are cached). */
  hashMicrosPerRecord: number;
  /** PostgreSQL: inserting the evidence rows with their indexes, nothing else. */
  insertMicrosPerRecord: number;
  problems: string[];
}

interface PathRun {
  seconds: number;
  rate: number;
  evidence: number;
  peakRssMb: number;
  /** CPU of lethe's process, and of the whole machine (lethe, PostgreSQL, the rest) over the run. */
  cpuSeconds: number;
  machineCpuSeconds: number;
}

type Log = (msg: string) => void;

/**
 * `rows` access-log rows over DAYS whole UTC days before today, none on the day the cutoff
 * falls in: every due row is in a wholly due partition, so the three ways destroy the same set.
 */
async function seed(db: string, rows: number, now: Date): Promise<number> {
  await dropDb(db);
  await admin(`CREATE DATABASE ${db}`);
  await migrateServer(url(db));
  const database = openPostgres(url(db), { maxConnections: 1 });
  const started = Date.now();
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const perDay = Math.ceil(rows / (DAYS - 1));
  const customers = Math.max(1, Math.round(rows / 100));
  try {
    await createLenderSchema(database.db);
    await partitionAccessLogs(database.db, new Date(today - DAYS * DAY_MS));
    let written = 0;
    for (let k = 1; k <= DAYS && written < rows; k++) {
      if (k === RETAIN_DAYS) continue;
      const n = Math.min(perDay, rows - written);
      await database.db.execute(sql.raw(`INSERT INTO access_logs (customer_id, actor, action, ip, user_agent, written_at)
        SELECT 100000001 + ((g::bigint * 7919) % ${customers}), 'customer', 'login', '10.0.0.1', 'app/1.0',
          to_timestamp(${(today - k * DAY_MS) / 1000}) + interval '1 second' * (g % 86400)
        FROM generate_series(${written + 1}, ${written + n}) g`));
      written += n;
    }
  } finally {
    await database.close();
  }
  await admin('VACUUM ANALYZE', db);
  return (Date.now() - started) / 1000;
}

async function query<T>(db: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  try { return (await c.query(text)).rows as T[]; } finally { await c.end(); }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  await settle();
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** What Node computes per record of a dropped partition: its record ref and its row hash. */
function hashMicros(n: number): number {
  const keys = deriveKeys(SECRET);
  const batch = randomUUID();
  const hasher = rowHasher(keys.evidenceKey, batch, [{ runId: randomUUID(), policyId: 'access-logs', policyVersion: 'f'.repeat(64),
    category: 'access-log', classification: 'C1', trigger: 'expiry', action: 'delete', table: 'public.access_logs', fields: null,
    partner: null, actor: 'bench', occurredAt: new Date() }]);
  const subject = 'a'.repeat(64);
  const started = process.hrtime.bigint();
  const refs = Array.from({ length: n }, (_, i) => recordRef(keys, 'public.access_logs', String(150_000_001 + i)));
  hasher.chain(batchStartHash(keys.evidenceKey, batch), new Array<number>(n).fill(0), refs, new Array<string>(n).fill(subject));
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

/**
 * PostgreSQL's share: the same evidence rows inserted again into a copy of the table with its
 * indexes — a logged table, as lethe.evidence is (a temporary one writes no WAL and would
 * understate it), in transactions of a partition chunk's size.
 */
async function insertMicros(db: string, n: number): Promise<number> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  const chunk = 4_000;
  try {
    await c.query('CREATE TABLE public.lethe_bench_evidence (LIKE lethe.evidence INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)');
    await c.query('CREATE TEMP TABLE ev_source AS SELECT row_number() OVER (ORDER BY seq) AS r, * FROM lethe.evidence ORDER BY seq LIMIT ' + n);
    await c.query('CREATE INDEX ON ev_source (r)');
    await c.query('CHECKPOINT');
    const started = process.hrtime.bigint();
    for (let from = 0; from < n; from += chunk) {
      await c.query(`INSERT INTO public.lethe_bench_evidence (batch_id, batch_pos, run_id, policy_id, policy_version, category, classification,
          trigger, action, "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
        SELECT batch_id, batch_pos, run_id, policy_id, policy_version, category, classification, trigger, action,
          "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash FROM ev_source WHERE r > $1 AND r <= $2`, [from, from + chunk]);
    }
    return Number(process.hrtime.bigint() - started) / 1e3 / n;
  } finally {
    await c.query('DROP TABLE IF EXISTS public.lethe_bench_evidence').catch(() => {});
    await c.end();
  }
}

export async function runPartitionBench(opts: { rows: number; keep: boolean; batch: number; concurrency: number; log: Log }): Promise<PartitionBenchResult> {
  const { rows, log } = opts;
  const problems: string[] = [];
  const seedDb = `lethe_bench_parts_seed_${rows}`;
  log(`partitions: seeding ${rows} access-log rows over ${DAYS} daily partitions (pg_partman) into ${seedDb}…`);
  const now = new Date();
  const seedSeconds = await seed(seedDb, rows, now);
  const cutoff = new Date(now.getTime() - RETAIN_DAYS * DAY_MS).toISOString();
  const due = await scalar(seedDb, `SELECT count(*) AS n FROM access_logs WHERE written_at <= '${cutoff}'`);
  const left = rows - due;
  log(`partitions: seeded in ${seedSeconds.toFixed(0)} s; ${due} due`);
  const dbs = { whole: `${seedDb}_whole`, rows: `${seedDb}_rows`, partman: `${seedDb}_partman` };
  for (const d of Object.values(dbs)) await copyDb(seedDb, d);

  const lethe = async (db: string, dropPartitions: boolean): Promise<PathRun> => {
    const env: LetheEnv = { db, policies: POLICIES, batch: String(opts.batch), concurrency: String(opts.concurrency), prefix: `lethe-bench-parts-${process.pid}`,
      extra: { LETHE_DROP_PARTITIONS: String(dropPartitions) } };
    const run = await runLethe(['sweep', '--policy', 'access-logs', '--json'], env);
    const destroyed = (JSON.parse(run.output) as { policies: { destroyed: number }[] }).policies[0]!.destroyed;
    const evidence = await scalar(db, `SELECT count(*) AS n FROM lethe.evidence WHERE action = 'delete'`);
    const remaining = await scalar(db, 'SELECT count(*) AS n FROM access_logs');
    const label = dropPartitions ? 'whole partitions' : 'row batches';
    if (destroyed !== due || evidence !== due || remaining !== left) problems.push(`partitions, ${label}: destroyed ${destroyed}, evidence ${evidence}, left ${remaining} (due ${due}, expected left ${left})`);
    return { seconds: run.seconds, rate: destroyed / run.seconds, evidence, peakRssMb: run.peakRssMb,
      cpuSeconds: run.cpuSeconds, machineCpuSeconds: run.machineCpuSeconds };
  };
  log('partitions: lethe, whole partitions…');
  const whole = await lethe(dbs.whole, true);
  const partitions = await scalar(dbs.whole, `SELECT count(*) AS n FROM lethe.evidence WHERE action = 'partition_dropped'`);
  log('partitions: lethe, row batches (LETHE_DROP_PARTITIONS=false)…');
  const rowPath = await lethe(dbs.rows, false);
  log('partitions: pg_partman run_maintenance with retention 40 days…');
  await query(dbs.partman, `UPDATE partman.part_config SET retention = '${RETAIN_DAYS} days', retention_keep_table = false
    WHERE parent_table = 'public.access_logs'`);
  const before = await scalar(dbs.partman, `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'public.access_logs'::regclass`);
  const maintenance = await timed(() => query(dbs.partman, `SELECT partman.run_maintenance(p_parent_table := 'public.access_logs')`));
  const after = await scalar(dbs.partman, `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'public.access_logs'::regclass`);
  const partmanLeft = await scalar(dbs.partman, 'SELECT count(*) AS n FROM access_logs');
  if (partmanLeft !== left) problems.push(`partitions, pg_partman: left ${partmanLeft}, expected ${left}`);

  log('partitions: where the time goes…');
  const hashMicrosPerRecord = hashMicros(Math.min(200_000, due));
  const insertMicrosPerRecord = await insertMicros(dbs.whole, Math.min(1_000_000, due));
  for (const d of Object.values(dbs)) await dropDb(d);
  if (!opts.keep) await dropDb(seedDb);
  const ratio = whole.rate / rowPath.rate;
  if (ratio < PARTITIONS_TARGET) problems.push(`partitions: whole-partition path ${ratio.toFixed(2)}× the row path (target ≥ ${PARTITIONS_TARGET}×)`);
  return {
    rows, due, partitions, seedSeconds, whole, rowPath, ratio, hashMicrosPerRecord, insertMicrosPerRecord, problems,
    partman: { seconds: maintenance.seconds, rate: due / maintenance.seconds, dropped: before - after },
  };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function partitionBenchLines(r: PartitionBenchResult): string[] {
  const hashS = (r.hashMicrosPerRecord * r.due) / 1e6;
  const insertS = (r.insertMicrosPerRecord * r.due) / 1e6;
  const cores = cpus().length;
  const w = r.whole;
  const perRecord = (s: number) => `${((s * 1e6) / r.due).toFixed(1)} µs/record`;
  return [
    `access_logs partitioned by day (pg_partman): ${n(r.rows)} rows, ${n(r.due)} due in ${r.partitions} whole partitions (seeded in ${r.seedSeconds.toFixed(0)} s)`,
    `  lethe, whole partitions     ${n(r.due)} in ${w.seconds.toFixed(1)} s = ${n(w.rate)} records/s (evidence ${n(w.evidence)}, peak RSS ${n(w.peakRssMb)} MB)`,
    `  lethe, row batches          ${n(r.due)} in ${r.rowPath.seconds.toFixed(1)} s = ${n(r.rowPath.rate)} records/s (evidence ${n(r.rowPath.evidence)}, peak RSS ${n(r.rowPath.peakRssMb)} MB)`,
    `  whole / rows                ${r.ratio.toFixed(2)}×  (target ≥ ${PARTITIONS_TARGET}×)`,
    `  pg_partman run_maintenance  ${r.partman.dropped} partitions in ${r.partman.seconds.toFixed(2)} s = ${n(r.partman.rate)} rows/s — no evidence, holds or floors: the limit`,
    `  the gap: the whole path is the per-record evidence, and it is CPU: over its ${w.seconds.toFixed(1)} s the machine's ${cores} cores were`,
    `           ${((100 * w.machineCpuSeconds) / (w.seconds * cores)).toFixed(0)}% busy — lethe's process ${w.cpuSeconds.toFixed(1)} s (${perRecord(w.cpuSeconds)}), PostgreSQL and the rest`,
    `           ${(w.machineCpuSeconds - w.cpuSeconds).toFixed(1)} s (${perRecord(w.machineCpuSeconds - w.cpuSeconds)}). Of it, measured apart: Node's record ref and row hash`,
    `           ${r.hashMicrosPerRecord.toFixed(1)} µs/record (${hashS.toFixed(1)} s), PostgreSQL's insert of the evidence row with its indexes`,
    `           ${r.insertMicrosPerRecord.toFixed(1)} µs/record (${insertS.toFixed(1)} s); the DROP itself costs what pg_partman's does`,
  ];
}
