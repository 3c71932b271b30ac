// npm run bench [-- --records N --due-fraction F --batch N --concurrency N --keep --no-partners --only-partners --partner-requests N]
// Seeds the reference lender, copies it, then destroys the due half twice in the same run:
// raw PostgreSQL in one session (the yardstick), and lethe's full pipeline (`lethe sweep`, a
// separate process whose peak RSS is sampled). Prints both rates, their ratio and the RSS.
// Then the partner fan-out (bench/partners.ts): --no-partners skips it, --only-partners runs it alone.
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { createLenderSchema } from '../src/lender/schema.ts';
import { seedLoanApplications } from '../src/lender/seed.ts';
import { rawDestroy } from './raw.ts';
import { reportPartnerBench, runPartnerBench } from './partners.ts';

const { values: flags } = parseArgs({ options: {
  records: { type: 'string', default: '1000000' },
  'due-fraction': { type: 'string', default: '0.5' },
  batch: { type: 'string', default: '1000' },
  concurrency: { type: 'string', default: '2' },
  keep: { type: 'boolean', default: false },
  'no-partners': { type: 'boolean', default: false },
  'only-partners': { type: 'boolean', default: false },
  'partner-requests': { type: 'string', default: '10000' },
} });
const RECORDS = Number(flags.records);
const DUE_FRACTION = Number(flags['due-fraction']);
const HOST = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const DB = 'lethe_bench';
const RAW_DB = 'lethe_bench_raw';
const url = (db: string) => `${HOST}/${db}`;

async function admin(sqlText: string): Promise<void> {
  const c = new pg.Client({ connectionString: url('postgres') });
  await c.connect();
  try { await c.query(sqlText); } finally { await c.end(); }
}

async function scalar(db: string, q: string): Promise<number> {
  const c = new pg.Client({ connectionString: url(db) });
  await c.connect();
  try { return Number((await c.query(q)).rows[0].n); } finally { await c.end(); }
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Runs `lethe sweep` as a worker process would run, sampling its peak RSS (VmHWM). */
function sweepProcess(): Promise<{ seconds: number; peakRssMb: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // Launched as an operator launches it: the executable, so its shebang's node flags apply.
    const child = spawn('bin/lethe.js', ['sweep', '--json'], {
      env: { ...process.env, DATABASE_URL: url(DB), LETHE_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
        LETHE_POLICIES: 'bench/policies', LETHE_BATCH_SIZE: flags.batch, LETHE_CONCURRENCY: flags.concurrency,
        LETHE_QUEUE_PREFIX: `lethe-bench-${process.pid}`, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let peakKb = 0;
    child.stdout.on('data', (d) => (output += d));
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch { /* exited */ }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`lethe sweep exited ${code}`));
      else resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peakKb / 1024, output });
    });
  });
}

async function main(): Promise<void> {
  const now = new Date();
  log(`seeding ${RECORDS} loan applications (${DUE_FRACTION * 100}% due) into ${DB}…`);
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS ${RAW_DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  await migrateServer(url(DB));
  const database = openPostgres(url(DB), { maxConnections: 2 });
  const seedStarted = Date.now();
  try {
    await createLenderSchema(database.db);
    await seedLoanApplications(database.db, { count: RECORDS, dueFraction: DUE_FRACTION, now });
  } finally {
    await database.close();
  }
  await admin(`VACUUM ANALYZE`).catch(() => {});
  const c = new pg.Client({ connectionString: url(DB) });
  await c.connect();
  await c.query('VACUUM ANALYZE');
  await c.end();
  log(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s; copying for the raw run…`);
  await admin(`CREATE DATABASE ${RAW_DB} TEMPLATE ${DB}`);
  const due = await scalar(DB, `SELECT count(*) AS n FROM loan_applications WHERE status = 'rejected' AND decided_at <= now() - interval '30 days'`);

  log(`raw PostgreSQL: destroying ${due} due records…`);
  const cutoff = new Date(now.getTime() - 30 * 86_400_000);
  const raw = await rawDestroy(url(RAW_DB), cutoff, Number(flags.batch));
  log(`lethe pipeline (lethe sweep, ${flags.concurrency} purge workers, batch ${flags.batch})…`);
  const pipe = await sweepProcess();
  const sweepJson = JSON.parse(pipe.output) as { policies: { destroyed: number; failed: number }[] };
  const destroyed = sweepJson.policies.reduce((a, p) => a + p.destroyed, 0);
  const left = await scalar(DB, `SELECT count(*) AS n FROM loan_applications WHERE status = 'rejected' AND decided_at <= now() - interval '30 days'`);
  const evidence = await scalar(DB, `SELECT count(*) AS n FROM lethe.evidence WHERE "table" = 'public.loan_applications'`);

  const rawRate = raw.records / raw.seconds;
  const pipeRate = destroyed / pipe.seconds;
  const result = {
    at: new Date().toISOString(), records: RECORDS, due, batch: Number(flags.batch), concurrency: Number(flags.concurrency),
    raw: { destroyed: raw.records, children: raw.children, seconds: raw.seconds, rate: rawRate },
    pipeline: { destroyed, left, evidence, seconds: pipe.seconds, rate: pipeRate, peakRssMb: pipe.peakRssMb },
    ratio: pipeRate / rawRate,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', JSON.stringify(result, null, 2));
  console.log([
    `records seeded             ${RECORDS} (${due} due, each with its documents)`,
    `raw PostgreSQL             ${raw.records} destroyed in ${raw.seconds.toFixed(1)} s = ${rawRate.toFixed(0)} records/s`,
    `lethe pipeline             ${destroyed} destroyed in ${pipe.seconds.toFixed(1)} s = ${pipeRate.toFixed(0)} records/s (evidence rows ${evidence}, left due ${left})`,
    `ratio pipeline / raw       ${result.ratio.toFixed(2)}×  (target ≥ 0.5×)`,
    `worker peak RSS            ${pipe.peakRssMb.toFixed(0)} MB  (target ≤ 256 MB)`,
  ].join('\n'));
  if (!flags.keep) {
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${RAW_DB} WITH (FORCE)`);
  }
  if (left !== 0 || evidence !== destroyed) {
    console.error(`bench: the pipeline left ${left} due records or evidence (${evidence}) ≠ destroyed (${destroyed})`);
    process.exitCode = 1;
  }
}

if (!flags['only-partners']) await main();
if (!flags['no-partners']) {
  const partners = await runPartnerBench({ host: HOST, requests: Number(flags['partner-requests']), keep: flags.keep, log });
  if (!reportPartnerBench(partners)) process.exitCode = 1;
}
