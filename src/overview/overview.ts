// The retention overview (`GET /` on lethe serve): per policy what is kept, due, held and
// restricted, what was destroyed lately, what expires soon, and the open work — erasure requests
// by deadline, holds, purges awaiting approval, destruction tasks, partner requests, files to
// delete. Read only; the counts come from the same predicates the plan and the sweep use.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Policy } from '../policy/types.ts';
import { plan, type PolicyCounts } from '../plan/plan.ts';
import { actionPending, sourceTable, whereFilter } from '../destroy/predicates.ts';
import { partnersStatus, type PartnersStatus } from '../partners/status.ts';
import { listTasks, type TaskView } from '../tasks/list.ts';
import { destroyedPerDay, type DayCount } from './history.ts';
import { expiryForecast, type Forecast } from './forecast.ts';
import { loadOpenWork, type OpenWork } from './work.ts';

export const OVERVIEW_DAYS = 90;

export interface PolicyOverview extends Pick<PolicyCounts, 'id' | 'action' | 'due' | 'held' | 'deferred' | 'restricted'> {
  title: string;
  trigger: 'expiry' | 'consent_withdrawn';
  retain: string;
  /** Records in the policy's scope still holding what its action would remove. */
  inScope: number;
  /** In scope and not due now: not yet expired, held, deferred by the floor, or restricted. */
  kept: number;
}

export interface Overview {
  now: Date;
  /** LETHE_TIMEZONE: the page's times and days. */
  timeZone: string;
  days: number;
  policies: PolicyOverview[];
  destroyed: DayCount[];
  forecast: Forecast[];
  partners: PartnersStatus;
  /** Paper and media destruction tasks not yet confirmed (src/tasks/). */
  tasks: TaskView[];
  /** Erasure requests by deadline, holds, purges awaiting approval, files to delete. */
  work: OpenWork;
  /** Object stores are configured: the page has a section for them even when nothing is pending. */
  stores: string[];
}

async function countInScope(db: Executor, p: Policy): Promise<number> {
  const [r] = await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sourceTable(p)} t WHERE ${whereFilter(p)} AND ${actionPending(p)}`);
  return Number(r!.n);
}

export async function loadOverview(ctx: EngineContext, rules: Ruleset, now: Date, timeZone: string, days = OVERVIEW_DAYS): Promise<Overview> {
  const counts = await plan(ctx, rules, { now });
  const policies: PolicyOverview[] = [];
  const forecast: Forecast[] = [];
  // One policy at a time, like plan(): the page must not crowd out the workers' connections.
  for (const p of rules.policies) {
    const c = counts.find((x) => x.id === p.id)!;
    const inScope = await countInScope(ctx.db, p);
    policies.push({
      id: p.id, title: p.title, action: c.action, trigger: p.trigger.kind, retain: p.retain.iso,
      due: c.due, held: c.held, deferred: c.deferred, restricted: c.restricted, inScope, kept: Math.max(0, inScope - c.due),
    });
    forecast.push(await expiryForecast(ctx.db, p, now, days, timeZone));
  }
  return { now, timeZone, days, policies, destroyed: await destroyedPerDay(ctx.db, now, days, timeZone), forecast, partners: await partnersStatus(ctx.db, now),
    tasks: await listTasks(ctx.db, now), work: await loadOpenWork(ctx.db, now), stores: rules.stores.stores.map((s) => s.id) };
}
