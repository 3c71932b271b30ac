import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { loadRuleset, operatorName, withRuntime } from '../runtime.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';
import { partnersStatus } from '../../partners/status.ts';
import { loadPartnerRegistry } from '../../partners/registry.ts';
import { syncTerminations } from '../../partners/terminate.ts';

export const partnersStatusCommand: Command = {
  help: `Usage: lethe partners status [--json]

Per partner: requests pending delivery, sent and awaiting the partner's signed receipt,
confirmed, failed, and overdue (sent, unconfirmed, past the deadline the partner accepted in
the registry). Then every overdue request with how long past its deadline, and every failed one
with its last error. Exit 0 whatever the state: this reports, it does not judge.

Examples:
  npx lethe partners status
  npx lethe partners status --json | jq '.overdue[] | select(.overdue_seconds > 86400)'`,
  async run(args, io) {
    const { flags } = parseFlags('partners status', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const s = await partnersStatus(rt.database.db, rt.ctx.clock.now());
      if (flags.json) {
        printJson(io, s);
        return 0;
      }
      if (s.partners.length === 0) io.out('no partner requests');
      else io.out(table(['partner', 'pending', 'sent', 'confirmed', 'overdue', 'failed'],
        s.partners.map((p) => [p.partner, String(p.pending), String(p.sent), String(p.confirmed), String(p.overdue), String(p.failed)])));
      if (s.overdue.length > 0) {
        io.out('\noverdue (sent, not confirmed, past the deadline):');
        io.out(table(['request', 'partner', 'sent', 'deadline', 'overdue_for', 'reminders'],
          s.overdue.map((o) => [o.request_id, o.partner, localTime(o.sent_at, cfg.timeZone), localTime(o.deadline, cfg.timeZone), o.overdue_for, String(o.reminders)])));
      }
      if (s.failed.length > 0) {
        io.out('\nfailed (an operator must follow up with the partner):');
        io.out(table(['request', 'partner', 'failed', 'error'], s.failed.map((f) => [f.request_id, f.partner, localTime(f.failed_at, cfg.timeZone), f.error ?? ''])));
      }
      return 0;
    });
  },
};

export const partnersTerminateSyncCommand: Command = {
  help: `Usage: lethe partners terminate-sync [--json]

For each partner marked \`status: terminated\` in the partner registry (LETHE_PARTNERS, default
./partners.yaml), creates purge requests (trigger partner_termination) for everything the
sharing ledger says it received and no confirmed request has covered. Runs once per partner:
a second run adds nothing. \`lethe worker\` does the same on its partner sweep and delivers them.

Examples:
  npx lethe partners terminate-sync`,
  async run(args, io) {
    const { flags } = parseFlags('partners terminate-sync', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    const registry = loadPartnerRegistry(cfg.partnersFile);
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, cfg.policiesDir);
      const results = await syncTerminations(rt.ctx, rules, registry, `operator:${operatorName(cfg)}`);
      const rowsOut = results.map((r) => ({ partner: r.partner, created: r.created, requests: r.requests.length, subjects: r.subjects }));
      if (flags.json) printJson(io, { terminations: rowsOut });
      else if (rowsOut.length === 0) io.out('no terminated partners in the registry');
      else io.out(table(['partner', 'created', 'requests', 'subjects'], rowsOut.map((r) => [r.partner, r.created ? 'yes' : 'no (already done)', String(r.requests), String(r.subjects)])));
      return 0;
    });
  },
};
