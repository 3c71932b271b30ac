// The reference lender at each size: `plan` timed, then the same due work destroyed on copies of
// one seed by the yardsticks (bench/yardstick.ts) and by `lethe sweep` — rejected applications
// with their documents (delete), then ended customers (anonymise) — and, at the first size,
// by 1 and 2 `lethe worker` processes.
import { copyDb, dbExists, dropDb, log, refreshSchema, scalar, seedBenchDb, dueAnonymiseSql, dueDeleteSql } from './db.ts';
import { runLethe, SECRET, type LetheEnv } from './process.ts';
import { timePlan, type PlanTime } from './plan-time.ts';
import { runFleet, type FleetRun } from './scale-out.ts';
import { runFloor, runMinimal, type Target, type YardstickResult } from './yardstick.ts';
import { url } from './db.ts';

export const DELETE_POLICIES = 'bench/policies';
export const ANONYMISE_POLICIES = 'bench/policies-anonymise';

const DELETE_TARGET: Target = {
  table: 'public.loan_applications', key: 'id', subject: 'customer_id', keyType: 'bigint',
  due: `t.status = 'rejected' AND t.decided_at <= now() - interval '30 days'`,
  children: [{ table: 'public.loan_application_documents', key: 'id', foreignKey: 'application_id' }],
  policyId: 'rejected-loan-applications', policyVersion: 'yardstick', category: 'loan-application', classification: 'C3',
};

/** What bench/policies-anonymise does, in SQL (the `hmac` pseudonym by sha256, the yardstick's way). */
const ANONYMISE_TARGET: Target = {
  table: 'public.customers', key: 'id', subject: 'id', keyType: 'bigint',
  due: `t.relationship_ended_at <= now() - interval '1 year' AND t.full_name <> '***'`,
  children: [],
  anonymise: {
    set: `full_name = '***', phone = NULL, id_number = left(t.id_number, 6) || repeat('*', greatest(char_length(t.id_number) - 6, 0)),
      birth_date = date_trunc('year', t.birth_date)::date, income = (t.income / 10000) * 10000,
      email = encode(sha256(convert_to('value:' || t.email, 'UTF8')), 'hex')`,
    fields: { full_name: 'redact', phone: 'null', id_number: 'keep_prefix:6', birth_date: 'generalise:year', income: 'bucket:10000', email: 'hmac:pseudonymous' },
  },
  policyId: 'customer-profile-anonymise', policyVersion: 'yardstick', category: 'customer-profile', classification: 'C3',
};

export interface Comparison {
  due: number;
  minimal: YardstickResult & { rate: number };
  /** Delete only: lethe's exact evidence written by a procedure. */
  floor?: YardstickResult & { rate: number };
  lethe: { records: number; left: number; evidence: number; seconds: number; rate: number; peakRssMb: number };
  ratio: number;
  ratioFloor?: number;
}

export interface SizeResult {
  records: number;
  seedSeconds: number;
  plan: PlanTime;
  delete: Comparison;
  anonymise?: Comparison;
}

export interface LenderOptions {
  due: number;
  batch: string;
  concurrency: string;
  keep: boolean;
  reuseSeed: boolean;
  anonymise: boolean;
  problems: string[];
}

const rated = (r: YardstickResult) => ({ ...r, rate: r.records / r.seconds });

function envFor(db: string, policies: string, o: LenderOptions): LetheEnv {
  return { db, policies, batch: o.batch, concurrency: o.concurrency, prefix: `lethe-bench-${process.pid}` };
}

/** The yardsticks on copies, then lethe on `db`: same rows, same due set. */
async function compare(db: string, seed: string, kind: 'delete' | 'anonymise', o: LenderOptions): Promise<Comparison> {
  const [target, policies, table, dueSql] = kind === 'delete'
    ? [DELETE_TARGET, DELETE_POLICIES, 'public.loan_applications', dueDeleteSql] as const
    : [ANONYMISE_TARGET, ANONYMISE_POLICIES, 'public.customers', dueAnonymiseSql] as const;
  const due = await scalar(db, dueSql());
  const minimalDb = `${db}_min`;
  await copyDb(seed, minimalDb);
  log(`${kind}: minimal yardstick on ${due} due records…`);
  const minimal = rated(await runMinimal(url(minimalDb), target));
  await dropDb(minimalDb);
  let floor: Comparison['floor'];
  if (kind === 'delete') {
    const floorDb = `${db}_floor`;
    await copyDb(seed, floorDb);
    log(`${kind}: floor (lethe's exact evidence, by a procedure)…`);
    floor = rated(await runFloor(url(floorDb), target, SECRET));
    await dropDb(floorDb);
  }
  log(`${kind}: lethe sweep (${o.concurrency} purge workers, batch ${o.batch})…`);
  const run = await runLethe(['sweep', '--json'], envFor(db, policies, o));
  const json = JSON.parse(run.output) as { policies: { destroyed: number; anonymised: number }[] };
  const records = json.policies.reduce((a, p) => a + p.destroyed + p.anonymised, 0);
  const left = await scalar(db, dueSql());
  const evidence = await scalar(db, `SELECT count(*) AS n FROM lethe.evidence WHERE "table" = '${table}'`);
  if (left !== 0 || evidence !== records) o.problems.push(`${kind}: ${left} due left, evidence ${evidence} ≠ ${records} records`);
  for (const [name, r] of [['minimal', minimal], ['floor', floor]] as const) {
    if (r && r.records !== due) o.problems.push(`${kind}: ${name} yardstick did ${r.records} of ${due}`);
  }
  const rate = records / run.seconds;
  return {
    due, minimal, floor,
    lethe: { records, left, evidence, seconds: run.seconds, rate, peakRssMb: run.peakRssMb },
    ratio: rate / minimal.rate, ...(floor ? { ratioFloor: rate / floor.rate } : {}),
  };
}

export async function benchSize(records: number, scaleOut: boolean, o: LenderOptions): Promise<{ size: SizeResult; fleet?: FleetRun[] }> {
  const now = new Date();
  const seed = `lethe_bench_seed_${records}_${o.due}`;
  const db = `lethe_bench_${records}`;
  let seedSeconds = 0;
  if (o.reuseSeed && await dbExists(seed)) {
    log(`reusing ${seed}…`);
    await refreshSchema(seed);
  } else {
    log(`seeding ${records} loan applications (${o.due} due) into ${seed}…`);
    seedSeconds = await seedBenchDb(seed, records, o.due, now);
    log(`seeded in ${seedSeconds.toFixed(1)} s`);
  }
  await copyDb(seed, db);
  log('timing plan…');
  const plan = await timePlan(db, DELETE_POLICIES);
  log(`plan: ${plan.due} due in ${plan.seconds.toFixed(3)} s`);
  const del = await compare(db, seed, 'delete', o);
  const anonymise = o.anonymise ? await compare(db, seed, 'anonymise', o) : undefined;
  let fleet: FleetRun[] | undefined;
  if (scaleOut) {
    fleet = [];
    for (const n of [1, 2]) {
      const fleetDb = `${db}_w${n}`;
      await copyDb(seed, fleetDb);
      log(`scale-out: ${n} lethe worker process(es)…`);
      fleet.push(await runFleet(n, envFor(fleetDb, DELETE_POLICIES, o)));
      await dropDb(fleetDb);
    }
  }
  await dropDb(db);
  if (!o.keep && !o.reuseSeed) await dropDb(seed);
  return { size: { records, seedSeconds, plan, delete: del, anonymise }, fleet };
}

const f0 = (n: number) => n.toFixed(0);
const line = (r: { records: number; seconds: number; rate: number }) => `${r.records} in ${r.seconds.toFixed(1)} s = ${f0(r.rate)} records/s`;

export function comparisonLines(label: string, c: Comparison): string[] {
  return [
    `  ${label} minimal yardstick ${line(c.minimal)}`,
    ...(c.floor ? [`  ${label} floor             ${line(c.floor)}`] : []),
    `  ${label} lethe pipeline    ${line(c.lethe)} (evidence ${c.lethe.evidence}, left due ${c.lethe.left}, peak RSS ${f0(c.lethe.peakRssMb)} MB)`,
    `  ${label} lethe / minimal   ${c.ratio.toFixed(2)}×${c.ratioFloor !== undefined ? `   lethe / floor ${c.ratioFloor.toFixed(2)}×` : ''}`,
  ];
}
