// `lethe tasks …`: the people's side of destroying paper and media (policies with action: manual).
import type { Command } from './index.ts';
import { optionalString, parseFlags, parseInstant, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { NotFoundError, UsageError } from '../../errors.ts';
import { fixedClock, systemClock } from '../../clock.ts';
import { loadRuleset, operatorName, withRuntime, type Runtime } from '../runtime.ts';
import type { Ruleset } from '../../engine.ts';
import { printJson, table, type Io } from '../output.ts';
import { localTime } from '../../time.ts';
import { getTask, listTasks, type TaskView } from '../../tasks/list.ts';
import { approveTask, confirmTask, handOverTask, type StepResult } from '../../tasks/steps.ts';

export const tasksListCommand: Command = {
  help: `Usage: lethe tasks list [--overdue] [--all] [--as-of ISO] [--json]

A policy with \`action: manual\` (archive boxes, tapes, disks) never destroys by itself: when its
register rows are due, a scan opens a destruction task per method (shred, degauss,
overwrite-3…). A task goes opened → approved → handed_over → confirmed and must be confirmed
within LETHE_TASK_DUE (default P30D) of opening, or it is overdue. --all includes confirmed
tasks; --as-of judges "overdue" at another instant.

Examples:
  npx lethe tasks list
  npx lethe tasks list --overdue --json`,
  async run(args, io) {
    const { flags } = parseFlags('tasks list', args, { overdue: { type: 'boolean' }, all: { type: 'boolean' }, 'as-of': { type: 'string' }, json: { type: 'boolean' } });
    const asOf = parseInstant('tasks list', 'as-of', optionalString(flags, 'as-of'));
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const now = rt.ctx.clock.now();
      const tasks = await listTasks(rt.database.db, now, { overdue: Boolean(flags.overdue), all: Boolean(flags.all) });
      if (flags.json) printJson(io, { as_of: now.toISOString(), tasks });
      else if (tasks.length === 0) io.out(flags.overdue ? 'no overdue destruction tasks' : 'no destruction tasks to do');
      else io.out(table(['id', 'policy', 'method', 'status', 'lines', 'opened', 'due by', 'overdue', 'executor'],
        tasks.map((t) => [t.id, t.policy, t.method, t.status, t.status === 'confirmed' ? t.lines.destroyed : t.lines.open,
          localTime(t.opened_at, cfg.timeZone), localTime(t.due_by, cfg.timeZone), t.overdue ? `OVERDUE ${t.overdue_for}` : '', t.executor ?? ''])));
      return 0;
    }, { clock: asOf ? fixedClock(asOf) : systemClock });
  },
};

export const tasksShowCommand: Command = {
  help: `Usage: lethe tasks show TASK_ID [--json]

Lists the task's steps with their actors and, for each line still open, the register key, the
location and the media class: what the archive clerk fetches and hands to the executor.

Example:
  npx lethe tasks show dt-3f9a1c2b7d4e`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('tasks show', args, { json: { type: 'boolean' } }, 1);
    const id = taskId('tasks show', positionals);
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const task = await getTask(rt.database.db, id, rt.ctx.clock.now());
      if (!task) throw new NotFoundError(`no destruction task ${id} (see \`lethe tasks list\`)`);
      if (flags.json) printJson(io, task);
      else io.out(`${describe(task, cfg.timeZone)}\n\n${task.open_lines.length === 0 ? 'No lines left to destroy.'
        : table(['register key', 'location', 'media class'], task.open_lines.map((l) => [l.key, l.location ?? '', l.media_class]))}`);
      return 0;
    });
  },
};

export const tasksApproveCommand: Command = {
  help: `Usage: lethe tasks approve TASK_ID [--lines N] [--json]

Approves an opened task under your name (LETHE_OPERATOR). Whoever opened it (the operator who
ran the sweep) cannot approve it. Lines whose subject came under a legal hold are taken out of
the task first. An approved task takes no new lines: later due rows go into a new task.
--lines N refuses the approval unless the task has exactly the N lines you reviewed.

Example:
  LETHE_OPERATOR=zhao.min npx lethe tasks approve dt-3f9a1c2b7d4e --lines 12`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('tasks approve', args, { lines: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const id = taskId('tasks approve', positionals);
    const lines = optionalString(flags, 'lines');
    if (lines !== undefined && !/^[1-9]\d{0,8}$/.test(lines)) throw new UsageError(`lethe tasks approve: --lines "${lines}" must be a whole number of 1 or more`);
    return step(io, Boolean(flags.json), (rt, rules, actor) => approveTask(rt.ctx, rules, id, actor, { expectedLines: lines === undefined ? undefined : Number(lines) }));
  },
};

export const tasksHandoverCommand: Command = {
  help: `Usage: lethe tasks handover TASK_ID --executor NAME [--note TEXT] [--json]

Records the handover to the executor (the person, or the contractor's employee, who destroys
the items) under your name. Lines that came under a legal hold, are no longer due, or are no
longer in the register are taken out first: check \`lethe tasks show\` for the final list. The
note stays in the task only, never in the evidence: keep personal data out of it anyway.

Example:
  LETHE_OPERATOR=wang.li npx lethe tasks handover dt-3f9a1c2b7d4e --executor "chen.jie (ShredCo)" --note "12 boxes, van 沪A·12345"`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('tasks handover', args, { executor: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const id = taskId('tasks handover', positionals);
    const executor = requireString('tasks handover', flags, 'executor');
    return step(io, Boolean(flags.json), (rt, rules, actor) => handOverTask(rt.ctx, rules, id, actor, { executor, note: optionalString(flags, 'note') }));
  },
};

export const tasksConfirmCommand: Command = {
  help: `Usage: lethe tasks confirm TASK_ID --executor NAME --witness NAME [--certificate REF] [--json]

Run by the WITNESS, under their own name (LETHE_OPERATOR must be the --witness): the executor
alone can never confirm, and the witness must be someone other than the executor. --executor
must be the person the task was handed over to. In one transaction the destroyed items' register
rows are deleted and one evidence record per item is written (action destroyed_manually, with
the method, executor, witness, approver and --certificate, e.g. the contractor's certificate
number). An item whose subject came under a legal hold after handover is not recorded as
destroyed and stays in the register: make sure it was kept back.

Example:
  LETHE_OPERATOR=li.na npx lethe tasks confirm dt-3f9a1c2b7d4e --executor "chen.jie (ShredCo)" --witness li.na --certificate SC-2026-0117`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('tasks confirm', args,
      { executor: { type: 'string' }, witness: { type: 'string' }, certificate: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const id = taskId('tasks confirm', positionals);
    const executor = requireString('tasks confirm', flags, 'executor');
    const witness = requireString('tasks confirm', flags, 'witness');
    return step(io, Boolean(flags.json), (rt, rules, actor) =>
      confirmTask(rt.ctx, rules, id, actor, { executor, witness, certificate: optionalString(flags, 'certificate') }));
  },
};

function taskId(command: string, positionals: string[]): string {
  const id = positionals[0];
  if (!id) throw new UsageError(`lethe ${command}: TASK_ID is required (see \`lethe tasks list\`)`);
  return id;
}

async function step(io: Io, json: boolean, fn: (rt: Runtime, rules: Ruleset, actor: string) => Promise<StepResult>): Promise<number> {
  const cfg = loadConfig({ database: true, secret: true });
  return withRuntime(cfg, async (rt) => {
    const rules = await loadRuleset(rt, cfg.policiesDir);
    const r = await fn(rt, rules, `operator:${operatorName(cfg)}`);
    if (json) printJson(io, r);
    else {
      const out = [`Task ${r.id}: ${r.status.replace('_', ' ')}; ${r.lines} line${r.lines === 1 ? '' : 's'} ${r.status === 'confirmed' ? 'recorded as destroyed' : 'in the task'}.`];
      if (r.held > 0) out.push(`${r.held} line${r.held === 1 ? '' : 's'} taken out: a legal hold names the subject${r.status === 'confirmed' ? ' (not recorded as destroyed; it stays in the register: make sure it was kept back)' : ''}.`);
      if (r.gone > 0) out.push(`${r.gone} line${r.gone === 1 ? '' : 's'} taken out: no longer due or no longer in the register.`);
      io.out(out.join('\n'));
    }
    return 0;
  });
}

function describe(t: TaskView, zone: string): string {
  const at = (iso: string | null) => (iso ? localTime(iso, zone) : '');
  const steps = [
    `opened by ${t.opened_by} at ${at(t.opened_at)}`,
    t.approved_by && `approved by ${t.approved_by} at ${at(t.approved_at)}`,
    t.handed_over_by && `handed over by ${t.handed_over_by} to ${t.executor} at ${at(t.handed_over_at)}${t.handover_note ? ` (${t.handover_note})` : ''}`,
    t.confirmed_by && `confirmed by ${t.confirmed_by} (witness ${t.witness}) at ${at(t.confirmed_at)}${t.certificate ? `, certificate ${t.certificate}` : ''}`,
  ].filter(Boolean);
  return [
    `Destruction task ${t.id} (${t.policy}, method ${t.method}): ${t.status.replace('_', ' ')}, due by ${at(t.due_by)}${t.overdue ? ` — OVERDUE by ${t.overdue_for}` : ''}`,
    ...steps.map((s) => `  ${s}`),
    `Lines: ${t.lines.open} open, ${t.lines.destroyed} destroyed, ${t.lines.held} held, ${t.lines.gone} gone`,
  ].join('\n');
}
