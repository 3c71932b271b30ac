// Data as users have it, not as lethe's reference lender was designed: a plain table of loan
// applications, bulk-loaded, every row decided the same day (a `date` clock), an index on
// (state, decided_on) that does not cover the key. Paging a scan on (clock, key) made every page
// re-read and re-sort every tie; lethe's scan now reads the due set once.
//
// At each due size (100,000 and 400,000 by default, the table 2.5× that): the minimal yardstick,
// the floor (bench/yardstick.ts) and `lethe sweep` on copies of the same seed; then, at the
// largest size, lethe again at each batch size. lethe's cost per record at the smallest and
// largest due set is printed side by side: it must not grow with the due set.
import { migrateServer } from '../src/db/migrate.ts';
import { copyDb, dropDb, admin, log, scalar, url } from './db.ts';
import { runLethe, SECRET, type LetheEnv } from './process.ts';
import { runFloor, runMinimal, type Target, type YardstickResult } from './yardstick.ts';

export const TIES_POLICIES = 'bench/policies-ties';
const DUE_SQL = `t.state = 'rejected' AND t.decided_on <= now() - interval '30 days'`;
export const TIES_TARGET: Target = {
  table: 'public.applications_flat', key: 'id', subject: 'customer_id', keyType: 'bigint', due: DUE_SQL, children: [],
  policyId: 'flat-applications', policyVersion: 'yardstick', category: 'loan-application', classification: 'C3',
};

export interface TiesRun {
  due: number;
  minimal: YardstickResult;
  floor: YardstickResult;
  lethe: { records: number; seconds: number; peakRssMb: number; evidence: number; left: number };
  /** lethe's records per second over the minimal's and the floor's. */
  ratioMinimal: number;
  ratioFloor: number;
  /** lethe's microseconds per record. */
  usPerRecord: number;
}

export interface BatchRun {
  batch: number;
  records: number;
  seconds: number;
  rate: number;
  peakRssMb: number;
}

export interface TiesResult {
  runs: TiesRun[];
  /** lethe's cost per record at the largest due set over that at the smallest. */
  growth: number;
  batches: BatchRun[];
}

/** A bulk-loaded table: `rows` applications, `due` of them rejected, all decided one day two years ago. */
async function seedTies(db: string, rows: number, due: number): Promise<void> {
  await dropDb(db);
  await admin(`CREATE DATABASE ${db}`);
  await migrateServer(url(db));
  // Rejected rows spread through the key order, as a bulk load of mixed decisions leaves them.
  const every = rows / due;
  await admin(`CREATE TABLE applications_flat (id bigint PRIMARY KEY, customer_id bigint NOT NULL, state text NOT NULL,
      decided_on date, full_name text, phone text, amount numeric);
    INSERT INTO applications_flat
      SELECT g, 100000000 + (g::bigint * 7919) % ${Math.max(1, Math.round(rows * 0.6))},
        CASE WHEN floor((g - 1) / ${every}) <> floor(g / ${every}) THEN 'rejected' ELSE 'approved' END,
        current_date - 730, '申请人 ' || g, '138' || lpad((g % 100000000)::text, 8, '0'), (g % 1000) * 100
      FROM generate_series(1, ${rows}) g;
    CREATE INDEX ON applications_flat (state, decided_on);
    CREATE INDEX ON applications_flat (customer_id);`, db);
  await admin('VACUUM ANALYZE applications_flat', db);
}

const env = (db: string, batch: number, concurrency: number): LetheEnv =>
  ({ db, policies: TIES_POLICIES, batch: String(batch), concurrency: String(concurrency), prefix: `lethe-bench-ties-${process.pid}` });

async function sweepWith(db: string, batch: number, concurrency: number): Promise<{ records: number; seconds: number; peakRssMb: number }> {
  const run = await runLethe(['sweep', '--json'], env(db, batch, concurrency));
  const json = JSON.parse(run.output) as { policies: { destroyed: number }[] };
  return { records: json.policies.reduce((a, p) => a + p.destroyed, 0), seconds: run.seconds, peakRssMb: run.peakRssMb };
}

export async function runTies(opts: { dues: number[]; batch: number; concurrency: number; batchSizes: number[]; problems: string[] }): Promise<TiesResult> {
  const runs: TiesRun[] = [];
  let largestSeed = '';
  for (const due of opts.dues) {
    const seed = `lethe_bench_ties_${due}`;
    log(`ties: seeding ${Math.round(due * 2.5)} applications (${due} due, one decision date, index (state, decided_on))…`);
    await seedTies(seed, Math.round(due * 2.5), due);
    const [m, f, l] = [`${seed}_minimal`, `${seed}_floor`, `${seed}_lethe`];
    for (const d of [m, f, l]) await copyDb(seed, d);
    log('ties: minimal yardstick (one procedure, 10,000 per transaction)…');
    const minimal = await runMinimal(url(m), TIES_TARGET);
    log('ties: floor (lethe\'s exact evidence, by a procedure)…');
    const floor = await runFloor(url(f), TIES_TARGET, SECRET);
    log(`ties: lethe sweep (batch ${opts.batch}, ${opts.concurrency} purge workers)…`);
    const sweep = await sweepWith(l, opts.batch, opts.concurrency);
    const evidence = await scalar(l, `SELECT count(*) AS n FROM lethe.evidence`);
    const left = await scalar(l, `SELECT count(*) AS n FROM applications_flat t WHERE ${DUE_SQL}`);
    if (sweep.records !== due || evidence !== due || left !== 0) opts.problems.push(`ties ${due}: lethe destroyed ${sweep.records}, evidence ${evidence}, left ${left}`);
    if (minimal.records !== due || floor.records !== due) opts.problems.push(`ties ${due}: minimal ${minimal.records}, floor ${floor.records} of ${due}`);
    const rate = sweep.records / sweep.seconds;
    runs.push({ due, minimal, floor, lethe: { ...sweep, evidence, left },
      ratioMinimal: rate / (minimal.records / minimal.seconds), ratioFloor: rate / (floor.records / floor.seconds),
      usPerRecord: (sweep.seconds * 1e6) / sweep.records });
    for (const d of [m, f, l]) await dropDb(d);
    if (due === Math.max(...opts.dues)) largestSeed = seed;
    else await dropDb(seed);
  }
  const batches: BatchRun[] = [];
  for (const batch of opts.batchSizes) {
    const db = `${largestSeed}_b${batch}`;
    await copyDb(largestSeed, db);
    log(`ties: lethe sweep at batch ${batch}…`);
    const r = await sweepWith(db, batch, opts.concurrency);
    batches.push({ batch, ...r, rate: r.records / r.seconds });
    await dropDb(db);
  }
  await dropDb(largestSeed);
  const first = runs[0]!;
  const last = runs[runs.length - 1]!;
  return { runs, growth: last.usPerRecord / first.usPerRecord, batches };
}

const f0 = (n: number) => n.toFixed(0);
const rate = (r: { records: number; seconds: number }) => `${r.records} in ${r.seconds.toFixed(1)} s = ${f0(r.records / r.seconds)} records/s`;

export function tiesLines(r: TiesResult): string[] {
  const lines = ['Clock ties, no covering index (applications_flat: one decision date, index on (state, decided_on))'];
  for (const run of r.runs) {
    lines.push(`  ${run.due} due`,
      `    minimal yardstick      ${rate(run.minimal)}`,
      `    floor (lethe evidence) ${rate(run.floor)}`,
      `    lethe sweep            ${rate(run.lethe)} (${run.usPerRecord.toFixed(1)} µs/record, peak RSS ${f0(run.lethe.peakRssMb)} MB)`,
      `    lethe / minimal        ${run.ratioMinimal.toFixed(2)}×  (target ≥ 0.7×)`,
      `    lethe / floor          ${run.ratioFloor.toFixed(2)}×`);
  }
  if (r.runs.length > 1) lines.push(`  cost per record, ${r.runs.at(-1)!.due} vs ${r.runs[0]!.due} due: ${r.growth.toFixed(2)}×  (target ≤ 1.3×)`);
  for (const b of r.batches) lines.push(`  batch ${String(b.batch).padStart(6)}: ${rate(b)} (peak RSS ${f0(b.peakRssMb)} MB)`);
  return lines;
}
