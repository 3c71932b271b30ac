import type { Command } from './index.ts';
import { parseFlags, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { NotFoundError, UsageError } from '../../errors.ts';
import { loadRuleset, operatorName, withRuntime } from '../runtime.ts';
import { findErasureRequest, getErasureRequest, listErasureRequests, recordErasureRequest } from '../../erasure/requests.ts';
import { executeErasure } from '../../erasure/execute.ts';
import { workingDaysLeft } from '../../erasure/workdays.ts';
import type { ErasureView } from '../../erasure/types.ts';
import { printJson, table, type Io } from '../output.ts';
import { localDate, localTime } from '../../time.ts';

export const eraseCommand: Command = {
  help: `Usage: lethe erase --subject ID --ticket TEXT [--policies DIR] [--json]

Runs every policy for one data subject: destroys (or anonymises) what may go now; what a
statutory minimum still keeps is restricted — kept, no other processing — with a \`deferred\`
evidence record naming the policy, the floor and the date it ends, and destroyed automatically
by the scans when that date comes; a legal hold keeps everything it covers. Prints the outcome
per policy and a reply the operator can send to the subject. The ticket is your case number:
one request per ticket. Due date: LETHE_ERASURE_DUE_DAYS working days (default 15).

Exit 0 when the request was carried out (completed, partially deferred or held), 1 when it
failed, 2 for bad input (unknown subject, duplicate ticket).

Examples:
  LETHE_OPERATOR=wang.li npx lethe erase --subject 1000042 --ticket CS-2026-11-0042`,
  async run(args, io) {
    const { flags } = parseFlags('erase', args, { subject: { type: 'string' }, ticket: { type: 'string' }, policies: { type: 'string' }, json: { type: 'boolean' } });
    const subject = requireString('erase', flags, 'subject');
    const ticket = requireString('erase', flags, 'ticket');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, typeof flags.policies === 'string' ? flags.policies : cfg.policiesDir);
      const id = await recordErasureRequest(rt.ctx, rules, cfg.erasureDueDays, { subject, ticket, actor: `operator:${operatorName(cfg)}` });
      const status = await executeErasure(rt.ctx, rules, id, { batchSize: cfg.batchSize, taskDue: cfg.taskDue });
      const view = (await getErasureRequest(rt.database.db, id, rt.ctx.clock.now()))!;
      if (flags.json) printJson(io, view);
      else printErasure(io, view, cfg.timeZone);
      return status === 'failed' ? 1 : 0;
    });
  },
};

export const eraseListCommand: Command = {
  help: `Usage: lethe erase list [--json]

Lists erasure requests by due date, with the working days left; requests due within 3 working
days are flagged "due soon", past their due date "OVERDUE".

Examples:
  npx lethe erase list
  npx lethe erase list --json`,
  async run(args, io) {
    const { flags } = parseFlags('erase list', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const now = rt.ctx.clock.now();
      const list = await listErasureRequests(rt.database.db, now);
      if (flags.json) printJson(io, { requests: list });
      else if (list.length === 0) io.out('no erasure requests');
      else io.out(table(['id', 'ticket', 'status', 'received', 'due', 'working days left', ''],
        list.map((r) => {
          const open = r.status === 'received' || r.status === 'in_progress' || r.status === 'failed';
          const left = workingDaysLeft(now, new Date(r.due_at));
          return [r.id, r.ticket, r.status, localDate(r.received_at, cfg.timeZone), localDate(r.due_at, cfg.timeZone), open ? left : '',
            open && r.overdue ? 'OVERDUE' : open && left <= 3 ? 'due soon' : ''];
        })));
      return 0;
    });
  },
};

export const eraseShowCommand: Command = {
  help: `Usage: lethe erase show REQUEST_ID|TICKET [--json]

Shows one erasure request, named by its id (er-…) or by the ticket it was filed under: its status and due date, the outcome per policy (destroyed,
anonymised, restricted until when, held) and the reply to send to the subject.

Examples:
  npx lethe erase show er-3f9a1c2b7d4e
  npx lethe erase show CS-2026-11-0042 --json`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('erase show', args, { json: { type: 'boolean' } }, 1);
    const id = positionals[0];
    if (!id) throw new UsageError('lethe erase show: REQUEST_ID or TICKET is required (see `lethe erase list`)');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const view = await findErasureRequest(rt.database.db, id, rt.ctx.clock.now());
      if (!view) throw new NotFoundError(`no erasure request with id or ticket "${id}" (see \`lethe erase list\`)`);
      if (flags.json) printJson(io, view);
      else printErasure(io, view, cfg.timeZone);
      return 0;
    });
  },
};

function printErasure(io: Io, v: ErasureView, zone: string): void {
  io.out([
    `Erasure request ${v.id} (ticket ${v.ticket}): ${v.status}`,
    `received ${localTime(v.received_at, zone)}, due ${localTime(v.due_at, zone)}${v.completed_at ? `, completed ${localTime(v.completed_at, zone)}` : ''}`,
    '',
    v.policies.length === 0 ? 'No record of the subject was found under any policy.' : table(
      ['policy', 'action', 'destroyed', 'anonymised', 'deferred', 'until', 'held'],
      v.policies.map((p) => [p.policy, p.action, p.destroyed, p.anonymised, p.deferred, p.until ? localDate(p.until, zone) : p.deferred > 0 ? 'floor not started' : '', p.held])),
    '',
    'Reply to the data subject:',
    v.reply ?? '(not yet available)',
  ].join('\n'));
}
