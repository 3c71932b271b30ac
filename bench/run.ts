// npm run bench [-- --sizes 1000000,10000000 --due N --batch N --concurrency N --keep --reuse-seed
//                  --no-anonymise --no-scale-out --no-partners --only-partners --partner-requests N
//                  --no-objects --only-objects --object-files N --no-partitions --rows N]
// npm run bench -- --only partitions [--rows N]: whole partitions vs row batches vs pg_partman (bench/partitions.ts).
// At each size: seeds the reference lender (`--due` of the applications due, the same number at
// every size), times `plan`, copies the database, and destroys the due work twice in the same
// run — raw PostgreSQL in one session (the yardstick) and lethe's full pipeline (`lethe sweep`,
// a process of its own whose peak RSS is sampled) — for delete, then for anonymise. At the
// first size, 1 vs 2 `lethe worker` processes on copies. Then the partner fan-out, the object
// deletions, and whole partitions (`--rows` access-log rows: bench/partitions.ts).
// It starts by timing `lethe --help` against `node -e 0` (bench/startup.ts). Figures go to stdout and bench/results/latest.json. The seeded databases are kept with
// --keep or --reuse-seed; --reuse-seed starts from them (migrated to the current schema) when
// they exist, which saves the seeding (minutes at 10M) on a re-run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HOST, copyDb, dbExists, dropDb, log, refreshSchema, scalar, seedBenchDb, url, dueAnonymiseSql, dueDeleteSql } from './db.ts';
import { rawAnonymise, rawDestroy, type RawResult } from './raw.ts';
import { runLethe, SECRET, type LetheEnv } from './process.ts';
import { timePlan, type PlanTime } from './plan-time.ts';
import { runFleet, type FleetRun } from './scale-out.ts';
import { reportPartnerBench, runPartnerBench } from './partners.ts';
import { reportObjectBench, runObjectBench } from './objects.ts';
import { STARTUP_TARGET, measureStartup, startupLine } from './startup.ts';
import { partitionBenchLines, runPartitionBench } from './partitions.ts';

const { values: flags } = parseArgs({ options: {
  sizes: { type: 'string', default: '1000000,10000000' },
  due: { type: 'string', default: '500000' },
  batch: { type: 'string', default: '1000' },
  concurrency: { type: 'string', default: '2' },
  keep: { type: 'boolean', default: false },
  'reuse-seed': { type: 'boolean', default: false },
  'no-anonymise': { type: 'boolean', default: false },
  'no-scale-out': { type: 'boolean', default: false },
  'no-partners': { type: 'boolean', default: false },
  'only-partners': { type: 'boolean', default: false },
  'partner-requests': { type: 'string', default: '10000' },
  'no-objects': { type: 'boolean', default: false },
  'only-objects': { type: 'boolean', default: false },
  'object-files': { type: 'string', default: '5000' },
  'no-partitions': { type: 'boolean', default: false },
  only: { type: 'string' },
  rows: { type: 'string', default: '10000000' },
} });
const SIZES = flags.sizes.split(',').map(Number);
const DUE = Number(flags.due);
const DELETE_POLICIES = 'bench/policies';
const ANONYMISE_POLICIES = 'bench/policies-anonymise';

interface Comparison {
  due: number;
  raw: RawResult & { rate: number };
  pipeline: { records: number; left: number; evidence: number; seconds: number; rate: number; peakRssMb: number };
  ratio: number;
}

interface SizeResult {
  records: number;
  seedSeconds: number;
  plan: PlanTime;
  delete: Comparison;
  anonymise?: Comparison;
}

const problems: string[] = [];

function envFor(db: string, policies: string): LetheEnv {
  return { db, policies, batch: flags.batch, concurrency: flags.concurrency, prefix: `lethe-bench-${process.pid}` };
}

/** Raw on the copy, then the pipeline on the original: same rows, same due set. */
async function compare(db: string, rawDb: string, kind: 'delete' | 'anonymise'): Promise<Comparison> {
  const [dueSql, policies, table] = kind === 'delete'
    ? [dueDeleteSql, DELETE_POLICIES, 'public.loan_applications'] : [dueAnonymiseSql, ANONYMISE_POLICIES, 'public.customers'];
  // One cutoff for the count and the raw run: rows keep crossing it as the clock moves.
  const cutoff = new Date(Date.now() - (kind === 'delete' ? 30 : 365) * 86_400_000);
  const due = await scalar(db, dueSql(cutoff));
  log(`${kind}: raw PostgreSQL on ${due} due records…`);
  const raw = kind === 'delete'
    ? await rawDestroy(url(rawDb), cutoff, Number(flags.batch))
    : await rawAnonymise(url(rawDb), cutoff, Number(flags.batch), SECRET);
  log(`${kind}: lethe pipeline (lethe sweep, ${flags.concurrency} purge workers, batch ${flags.batch})…`);
  const run = await runLethe(['sweep', '--json'], envFor(db, policies));
  const json = JSON.parse(run.output) as { policies: { destroyed: number; anonymised: number }[] };
  const records = json.policies.reduce((a, p) => a + p.destroyed + p.anonymised, 0);
  const left = await scalar(db, dueSql());
  const evidence = await scalar(db, `SELECT count(*) AS n FROM lethe.evidence WHERE "table" = '${table}'`);
  if (left !== 0 || evidence !== records) problems.push(`${kind}: ${left} due left, evidence ${evidence} ≠ ${records} records`);
  if (raw.records !== due) problems.push(`${kind}: raw run did ${raw.records} of ${due}`);
  const rate = records / run.seconds;
  const rawRate = raw.records / raw.seconds;
  return { due, raw: { ...raw, rate: rawRate }, pipeline: { records, left, evidence, seconds: run.seconds, rate, peakRssMb: run.peakRssMb }, ratio: rate / rawRate };
}

async function benchSize(records: number, scaleOut: boolean): Promise<{ size: SizeResult; fleet?: FleetRun[] }> {
  const now = new Date();
  const seed = `lethe_bench_seed_${records}_${DUE}`;
  const db = `lethe_bench_${records}`;
  const rawDb = `${db}_raw`;
  let seedSeconds = 0;
  if (flags['reuse-seed'] && await dbExists(seed)) {
    log(`reusing ${seed}…`);
    await refreshSchema(seed);
  } else {
    log(`seeding ${records} loan applications (${DUE} due) into ${seed}…`);
    seedSeconds = await seedBenchDb(seed, records, DUE, now);
    log(`seeded in ${seedSeconds.toFixed(1)} s`);
  }
  log('copying…');
  await copyDb(seed, db);
  await copyDb(seed, rawDb);
  log('timing plan…');
  const plan = await timePlan(db, DELETE_POLICIES);
  log(`plan: ${plan.due} due in ${plan.seconds.toFixed(3)} s`);
  let fleet: FleetRun[] | undefined;
  if (scaleOut) {
    await copyDb(seed, `${db}_w1`);
    await copyDb(seed, `${db}_w2`);
  }
  const del = await compare(db, rawDb, 'delete');
  const anonymise = flags['no-anonymise'] ? undefined : await compare(db, rawDb, 'anonymise');
  if (scaleOut) {
    fleet = [];
    for (const n of [1, 2]) {
      log(`scale-out: ${n} lethe worker process(es)…`);
      fleet.push(await runFleet(n, envFor(`${db}_w${n}`, DELETE_POLICIES)));
    }
  }
  for (const d of [db, rawDb, `${db}_w1`, `${db}_w2`]) await dropDb(d);
  if (!flags.keep && !flags['reuse-seed']) await dropDb(seed);
  return { size: { records, seedSeconds, plan, delete: del, anonymise }, fleet };
}

const f0 = (n: number) => n.toFixed(0);

function comparisonLines(label: string, c: Comparison): string[] {
  return [
    `  ${label} raw PostgreSQL    ${c.raw.records} in ${c.raw.seconds.toFixed(1)} s = ${f0(c.raw.rate)} records/s`,
    `  ${label} lethe pipeline    ${c.pipeline.records} in ${c.pipeline.seconds.toFixed(1)} s = ${f0(c.pipeline.rate)} records/s (evidence ${c.pipeline.evidence}, left due ${c.pipeline.left}, peak RSS ${f0(c.pipeline.peakRssMb)} MB)`,
    `  ${label} ratio             ${c.ratio.toFixed(2)}×`,
  ];
}

async function main(): Promise<void> {
  const sizes: SizeResult[] = [];
  let fleet: FleetRun[] | undefined;
  for (const [i, records] of SIZES.entries()) {
    const r = await benchSize(records, i === 0 && !flags['no-scale-out']);
    sizes.push(r.size);
    fleet ??= r.fleet;
  }
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  const planRatio = last.plan.seconds / first.plan.seconds;
  const peakRssMb = Math.max(...sizes.flatMap((s) => [s.delete.pipeline.peakRssMb, s.anonymise?.pipeline.peakRssMb ?? 0]), ...(fleet ?? []).map((f) => f.peakRssMb));
  const result = { at: new Date().toISOString(), startup, due: DUE, batch: Number(flags.batch), concurrency: Number(flags.concurrency), sizes, planRatio, peakRssMb, scaleOut: fleet };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', JSON.stringify(result, null, 2));
  const lines: string[] = [];
  for (const s of sizes) {
    lines.push(`${s.records} loan applications (${s.delete.due} due, each with a document; seeded in ${s.seedSeconds.toFixed(0)} s)`,
      `  plan                   ${s.plan.due} due counted in ${s.plan.seconds.toFixed(3)} s`,
      ...comparisonLines('delete   ', s.delete), ...(s.anonymise ? comparisonLines('anonymise', s.anonymise) : []));
  }
  if (sizes.length > 1) lines.push(`plan time ${last.records} / ${first.records}   ${planRatio.toFixed(2)}×  (target ≤ 2)`);
  lines.push(`delete ratio at ${first.records}   ${first.delete.ratio.toFixed(2)}×  (target ≥ 0.7×)`,
    `worker peak RSS          ${f0(peakRssMb)} MB  (target ≤ 256 MB)`);
  for (const f of fleet ?? []) {
    lines.push(`scale-out: ${f.processes} worker process${f.processes > 1 ? 'es' : ''}   ${f.destroyed} in ${f.seconds.toFixed(1)} s = ${f0(f.rate)} records/s (peak RSS ${f0(f.peakRssMb)} MB each at most)`);
  }
  console.log(lines.join('\n'));
  if (problems.length) {
    console.error(`bench: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
}

/** The whole-partition scenario (bench/partitions.ts); false when its figures missed a target. */
async function partitionScenario(): Promise<boolean> {
  const r = await runPartitionBench({ rows: Number(flags.rows), keep: flags.keep, log });
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/partitions.json', JSON.stringify({ at: new Date().toISOString(), ...r }, null, 2));
  console.log(partitionBenchLines(r).join('\n'));
  if (r.problems.length) console.error(`bench: ${r.problems.join('; ')}`);
  return r.problems.length === 0;
}

// `--only partitions [--rows N]`: that scenario alone.
if (flags.only === 'partitions') process.exit((await partitionScenario()) ? 0 : 1);
if (flags.only !== undefined) {
  console.error(`bench: --only ${flags.only} is not a scenario (partitions)`);
  process.exit(2);
}

// First, while the machine is quiet: the CLI's start-up against bare Node.
const startup = measureStartup();
console.log(startupLine(startup));
if (startup.ratio > STARTUP_TARGET) problems.push(`start-up ${startup.ratio.toFixed(2)}× node -e 0 (target ≤ ${STARTUP_TARGET}×)`);

const only = flags['only-partners'] || flags['only-objects'];
if (!only) await main();
if (!flags['no-partners'] && !flags['only-objects']) {
  const partners = await runPartnerBench({ host: HOST, requests: Number(flags['partner-requests']), keep: flags.keep, log });
  if (!reportPartnerBench(partners)) process.exitCode = 1;
}
if (!flags['no-objects'] && !flags['only-partners']) {
  const objects = await runObjectBench({ host: HOST, files: Number(flags['object-files']), log });
  if (!reportObjectBench(objects)) process.exitCode = 1;
}
if (!only && !flags['no-partitions'] && !(await partitionScenario())) process.exitCode = 1;
