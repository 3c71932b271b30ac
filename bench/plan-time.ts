// The cost of finding due work: `plan` for the bench's delete policy, in this process so that
// only the counting is timed (no process start). The median of three, caches warm.
import { loadConfig } from '../src/config.ts';
import { loadRuleset, withRuntime } from '../src/cli/runtime.ts';
import { plan } from '../src/plan/plan.ts';
import { url } from './db.ts';
import { SECRET } from './process.ts';

export interface PlanTime {
  seconds: number;
  due: number;
}

export async function timePlan(db: string, policies: string): Promise<PlanTime> {
  const cfg = loadConfig({ database: true, secret: true },
    { DATABASE_URL: url(db), LETHE_SECRET: SECRET, LOG_LEVEL: 'warn' });
  return withRuntime(cfg, async (rt) => {
    const rules = await loadRuleset(rt, policies);
    const runs: PlanTime[] = [];
    for (let i = 0; i < 3; i++) {
      const started = process.hrtime.bigint();
      const counts = await plan(rt.ctx, rules, { now: new Date() });
      runs.push({ seconds: Number(process.hrtime.bigint() - started) / 1e9, due: counts.reduce((a, c) => a + c.due, 0) });
    }
    return runs.sort((a, b) => a.seconds - b.seconds)[1]!;
  });
}
