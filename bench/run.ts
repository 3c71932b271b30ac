// npm run bench [-- --only SECTIONS | --skip SECTIONS] [options]
// Sections, in the order they run (each prints its figures; all go to bench/results/latest.json):
//   startup   `lethe --help` against bare `node -e 0` (bench/startup.ts), first, while quiet
//   ties      clock ties and no covering index: the minimal yardstick, the floor and lethe at
//             --ties-due sizes, lethe's cost per record across them, then lethe at each of
//             --batch-sizes (bench/ties.ts)
//   lender    the reference lender at --sizes (the same --due at each): plan time, delete and
//             anonymise against the yardsticks, 1 vs 2 worker processes at the first size
//             (bench/lender.ts)
//   partners  the partner fan-out (bench/partners.ts)
//   objects   files deleted from a local S3 store (bench/objects.ts)
//   partitions an access log range-partitioned by day (--rows rows, 60% due): whole partitions vs
//             row batches vs pg_partman's evidence-less drop (bench/partitions.ts)
// The yardsticks (bench/yardstick.ts) are PostgreSQL doing the same work alone: one stored
// procedure, 10,000 per transaction; `floor` writes lethe's exact evidence. Options:
//   --sizes 1000000,10000000 --due 500000 --ties-due 100000,400000 --batch-sizes 1000,5000,10000,20000
//   --batch N --concurrency N (lethe's, default: its own defaults) --keep --reuse-seed --no-anonymise
//   --no-scale-out --partner-requests N --object-files N --rows N
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HOST, log } from './db.ts';
import { reportPartnerBench, runPartnerBench } from './partners.ts';
import { reportObjectBench, runObjectBench } from './objects.ts';
import { STARTUP_TARGET, measureStartup, startupLine } from './startup.ts';
import { runTies, tiesLines } from './ties.ts';
import { benchSize, comparisonLines, type SizeResult } from './lender.ts';
import type { FleetRun } from './scale-out.ts';
import { partitionBenchLines, runPartitionBench } from './partitions.ts';
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY } from '../src/config.ts';

const SECTIONS = ['startup', 'ties', 'lender', 'partners', 'objects', 'partitions'] as const;
type Section = (typeof SECTIONS)[number];

const { values: flags } = parseArgs({ options: {
  only: { type: 'string' },
  skip: { type: 'string' },
  sizes: { type: 'string', default: '1000000,10000000' },
  due: { type: 'string', default: '500000' },
  'ties-due': { type: 'string', default: '100000,400000' },
  'batch-sizes': { type: 'string', default: '1000,5000,10000,20000' },
  batch: { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
  concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
  keep: { type: 'boolean', default: false },
  'reuse-seed': { type: 'boolean', default: false },
  'no-anonymise': { type: 'boolean', default: false },
  'no-scale-out': { type: 'boolean', default: false },
  'partner-requests': { type: 'string', default: '10000' },
  'object-files': { type: 'string', default: '5000' },
  rows: { type: 'string', default: '10000000' },
} });

function sections(): Set<Section> {
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()) : []);
  for (const s of [...list(flags.only), ...list(flags.skip)]) {
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`bench: unknown section "${s}"; sections: ${SECTIONS.join(', ')}`);
  }
  const only = list(flags.only);
  return new Set(SECTIONS.filter((s) => (only.length === 0 || only.includes(s)) && !list(flags.skip).includes(s)));
}

const run = sections();
const numbers = (s: string) => s.split(',').map(Number);
const problems: string[] = [];
const results: Record<string, unknown> = { at: new Date().toISOString(), batch: Number(flags.batch), concurrency: Number(flags.concurrency) };
const f0 = (n: number) => n.toFixed(0);

if (run.has('startup')) {
  const startup = measureStartup();
  results.startup = startup;
  console.log(startupLine(startup));
  if (startup.ratio > STARTUP_TARGET) problems.push(`start-up ${startup.ratio.toFixed(2)}× node -e 0 (target ≤ ${STARTUP_TARGET}×)`);
}

if (run.has('ties')) {
  const ties = await runTies({ dues: numbers(flags['ties-due']), batch: Number(flags.batch), concurrency: Number(flags.concurrency),
    batchSizes: numbers(flags['batch-sizes']), problems });
  results.ties = ties;
  console.log(tiesLines(ties).join('\n'));
}

if (run.has('lender')) {
  const sizes: SizeResult[] = [];
  let fleet: FleetRun[] | undefined;
  const opts = { due: Number(flags.due), batch: flags.batch, concurrency: flags.concurrency, keep: flags.keep,
    reuseSeed: flags['reuse-seed'], anonymise: !flags['no-anonymise'], problems };
  for (const [i, records] of numbers(flags.sizes).entries()) {
    const r = await benchSize(records, i === 0 && !flags['no-scale-out'], opts);
    sizes.push(r.size);
    fleet ??= r.fleet;
  }
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  const planRatio = last.plan.seconds / first.plan.seconds;
  const peakRssMb = Math.max(...sizes.flatMap((s) => [s.delete.lethe.peakRssMb, s.anonymise?.lethe.peakRssMb ?? 0]), ...(fleet ?? []).map((f) => f.peakRssMb));
  results.lender = { due: opts.due, sizes, planRatio, peakRssMb, scaleOut: fleet };
  const lines: string[] = [];
  for (const s of sizes) {
    lines.push(`${s.records} loan applications (${s.delete.due} due, each with a document; seeded in ${s.seedSeconds.toFixed(0)} s)`,
      `  plan                   ${s.plan.due} due counted in ${s.plan.seconds.toFixed(3)} s`,
      ...comparisonLines('delete   ', s.delete), ...(s.anonymise ? comparisonLines('anonymise', s.anonymise) : []));
  }
  if (sizes.length > 1) lines.push(`plan time ${last.records} / ${first.records}   ${planRatio.toFixed(2)}×  (target ≤ 2)`);
  lines.push(`worker peak RSS          ${f0(peakRssMb)} MB  (target ≤ 256 MB)`);
  for (const f of fleet ?? []) {
    lines.push(`scale-out: ${f.processes} worker process${f.processes > 1 ? 'es' : ''}   ${f.destroyed} in ${f.seconds.toFixed(1)} s = ${f0(f.rate)} records/s (peak RSS ${f0(f.peakRssMb)} MB each at most)`);
  }
  console.log(lines.join('\n'));
}

if (run.has('partners')) {
  const partners = await runPartnerBench({ host: HOST, requests: Number(flags['partner-requests']), keep: flags.keep, log });
  results.partners = partners;
  if (!reportPartnerBench(partners)) process.exitCode = 1;
}

if (run.has('objects')) {
  const objects = await runObjectBench({ host: HOST, files: Number(flags['object-files']), log });
  results.objects = objects;
  if (!reportObjectBench(objects)) process.exitCode = 1;
}

if (run.has('partitions')) {
  const r = await runPartitionBench({ rows: Number(flags.rows), keep: flags.keep, batch: Number(flags.batch), concurrency: Number(flags.concurrency), log });
  results.partitions = r;
  console.log(partitionBenchLines(r).join('\n'));
  problems.push(...r.problems);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(results, null, 2));
if (problems.length) {
  console.error(`bench: ${problems.join('; ')}`);
  process.exitCode = 1;
}
