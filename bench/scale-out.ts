// Scale-out: the same due work done by one `lethe worker` process, then (on a copy) by two,
// each with the same concurrency. Timed from the processes' start to the last batch sealed.
import { randomBytes } from 'node:crypto';
import { scalar, settle } from './db.ts';
import { startWorkers, type LetheEnv } from './process.ts';

export interface FleetRun {
  processes: number;
  destroyed: number;
  seconds: number;
  rate: number;
  peakRssMb: number;
}

const OPEN_WORK = `SELECT (SELECT count(*) FROM lethe.scans WHERE status NOT IN ('done', 'failed'))
  + (SELECT count(*) FROM lethe.batches WHERE status = 'pending')
  + (SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END FROM lethe.scans) AS n`;

export async function runFleet(processes: number, e: Omit<LetheEnv, 'prefix'>): Promise<FleetRun> {
  await settle();
  const started = process.hrtime.bigint();
  const fleet = startWorkers(processes, { ...e, prefix: `lethe-bench-fleet-${randomBytes(3).toString('hex')}` });
  let peakRssMb = 0;
  try {
    while ((await scalar(e.db, OPEN_WORK)) > 0) await new Promise((r) => setTimeout(r, 250));
  } finally {
    peakRssMb = await fleet.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const destroyed = await scalar(e.db, `SELECT count(*) AS n FROM lethe.evidence WHERE "table" = 'public.loan_applications'`);
  return { processes, destroyed, seconds, rate: destroyed / seconds, peakRssMb };
}
