import type { Command } from './index.ts';
import { parseFlags, parseInstant, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { withRuntime } from '../runtime.ts';
import { buildReport, type Count } from '../../report/report.ts';
import { printJson, table } from '../output.ts';

export const reportCommand: Command = {
  help: `Usage: lethe report --from ISO --to ISO [--json]

Over [from, to): evidence records per category, trigger, action and partner; erasure requests
received in the period, their outcome, how many were or are overdue, and their response time
in working days (received to completed: median and max); records restricted and legal holds
placed. Counts only: nothing identifies a person.

Examples:
  npx lethe report --from 2026-01-01 --to 2026-07-01 --json`,
  async run(args, io) {
    const { flags } = parseFlags('report', args, { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } });
    const from = parseInstant('report', 'from', requireString('report', flags, 'from'))!;
    const to = parseInstant('report', 'to', requireString('report', flags, 'to'))!;
    if (to.getTime() <= from.getTime()) throw new UsageError(`lethe report: --to ${to.toISOString()} must be after --from ${from.toISOString()}`);
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const r = await buildReport(rt.database.db, { from, to }, rt.ctx.clock.now());
      if (flags.json) {
        printJson(io, r);
        return 0;
      }
      const counts = (title: string, c: Count[]) => `${title}\n${c.length ? table(['', 'records'], c.map((x) => [x.key || '(none)', x.records])) : '  none'}`;
      const e = r.erasure_requests;
      io.out([
        `lethe report ${r.from} – ${r.to} (overdue judged at ${r.as_of})`,
        '',
        `evidence records: ${r.evidence.total}`,
        counts('by category', r.evidence.by_category),
        counts('by trigger', r.evidence.by_trigger),
        counts('by action', r.evidence.by_action),
        counts('by partner', r.evidence.by_partner),
        `files in object storage by category\n${r.evidence.objects_by_category.length
          ? table(['', 'deleted', 'failed'], r.evidence.objects_by_category.map((x) => [x.key, x.deleted, x.failed])) : '  none'}`,
        '',
        `erasure requests received: ${e.received} (completed ${e.completed}, partially deferred ${e.partially_deferred}, held ${e.held}, failed ${e.failed}, open ${e.open}); overdue: ${e.overdue}`,
        `response time (working days, received → completed): ${e.response_working_days.answered ? `median ${e.response_working_days.median}, max ${e.response_working_days.max} over ${e.response_working_days.answered}` : 'none answered'}`,
        `records restricted: ${r.restrictions.placed} (open at end of period: ${r.restrictions.open_at_end})`,
        `legal holds placed: ${r.holds.placed}, released: ${r.holds.released}, active at end of period: ${r.holds.active_at_end}`,
      ].join('\n'));
      return 0;
    });
  },
};
