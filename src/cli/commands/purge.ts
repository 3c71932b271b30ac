import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { loadConfig, type Config } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { loadRuleset, operatorName, withRuntime, type Runtime } from '../runtime.ts';
import { approvePurge, getPurgeRequest, listPurgeRequests, requestPurge, type PurgeView } from '../../purge/requests.ts';
import { Queues, assertRedisAnswers, redisConnection } from '../../pipeline/queues.ts';
import { startWorkers } from '../../pipeline/workers.ts';
import { runProgress } from '../../pipeline/runs.ts';
import { registry } from '../../../jobs/index.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';
import type { Ruleset } from '../../engine.ts';

export const purgeRequestCommand: Command = {
  help: `Usage: lethe purge request (--policy ID | --subject ID) --reason TEXT [--json]

Computes the plan — the exact records, per policy and action, that may go now (held records
and records a statutory minimum keeps are never in it) — stores it with a hash, and prints it
with a few pseudonymous samples. Nothing is destroyed until a DIFFERENT operator approves it
with \`lethe purge approve\`; an unapproved request expires after LETHE_PURGE_APPROVAL_TTL
(default PT24H). --policy: what the policy has due now; --subject: that subject's records under
every policy, whatever their retention clock. The reason goes into the evidence: say why, and
put no personal data in it.

Examples:
  LETHE_OPERATOR=wang.li npx lethe purge request --policy rejected-loan-applications --reason "backlog after outage INC-2231"`,
  async run(args, io) {
    const { flags } = parseFlags('purge request', args, { policy: { type: 'string' }, subject: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } });
    const policy = optionalString(flags, 'policy');
    const subject = optionalString(flags, 'subject');
    if ((policy === undefined) === (subject === undefined)) throw new UsageError('lethe purge request: give exactly one of --policy ID or --subject ID');
    const reason = optionalString(flags, 'reason');
    if (!reason || reason.trim() === '') throw new UsageError('lethe purge request: --reason is required');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, cfg.policiesDir);
      const view = await requestPurge(rt.ctx, rules, {
        target: policy !== undefined ? { kind: 'policy', policyId: policy } : { kind: 'subject', subject: subject! },
        reason, requestedBy: `operator:${operatorName(cfg)}`, ttl: cfg.purgeApprovalTtl,
      });
      if (flags.json) printJson(io, view);
      else io.out(`${describe(view, cfg.timeZone)}\n\nAsk another operator to review it and run:\n  npx lethe purge approve ${view.id} --plan-hash ${view.plan.hash}`);
      return 0;
    });
  },
};

export const purgeApproveCommand: Command = {
  help: `Usage: lethe purge approve REQUEST_ID [--plan-hash HASH] [--wait] [--json]

Shows the stored plan and, if you are not its requester and it has not expired, approves it
and queues its batches for the workers. Execution destroys only records in the approved plan
that are still due and not held; records that changed are skipped and reported. --plan-hash
refuses the approval unless the plan is the one you reviewed. --wait runs the batches in this
process and prints the outcome.

Examples:
  LETHE_OPERATOR=zhao.min npx lethe purge approve pr-3f9a1c2b7d4e --wait`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('purge approve', args, { 'plan-hash': { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' } }, 1);
    const id = positionals[0];
    if (!id) throw new UsageError('lethe purge approve: REQUEST_ID is required (see `lethe purge list`)');
    const cfg = loadConfig({ database: true, secret: true });
    await assertRedisAnswers(cfg.redisUrl);
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, cfg.policiesDir);
      const { runId, batchIds } = await approvePurge(rt.ctx, { id, approver: `operator:${operatorName(cfg)}`, planHash: optionalString(flags, 'plan-hash') }, cfg.batchSize);
      const connection = redisConnection(cfg.redisUrl);
      const queues = new Queues(connection, cfg.queuePrefix);
      try {
        for (const b of batchIds) await queues.enqueue('purge-batch', { batchId: b }, b);
        if (flags.wait) await runToEnd(rt, rules, cfg, queues, connection, runId);
      } finally {
        await queues.close();
        connection.disconnect();
      }
      const after = (await getPurgeRequest(rt.database.db, id, rt.ctx.clock.now()))!;
      if (flags.json) printJson(io, after);
      else io.out(`${describe(after, cfg.timeZone)}\n\n${flags.wait ? '' : `Approved: ${batchIds.length} batches queued for the workers.`}`);
      return after.outcome && after.outcome.failed > 0 ? 1 : 0;
    });
  },
};

async function runToEnd(rt: Runtime, rules: Ruleset, cfg: Config, queues: Queues, connection: ReturnType<typeof redisConnection>, runId: string): Promise<void> {
  const workers = startWorkers({ ...rt.ctx, rules, config: cfg, enqueue: queues.enqueue }, registry,
    { connection, prefix: cfg.queuePrefix, queues: ['purge'], concurrency: cfg.concurrency });
  try {
    while ((await runProgress(rt.database.db, runId)).batchesOpen > 0) await new Promise((res) => setTimeout(res, 200));
  } finally {
    await workers.close();
  }
}

export const purgeListCommand: Command = {
  help: `Usage: lethe purge list [--json]

Lists manual purge requests: who asked, why, their status (pending, approved, executed,
expired) and when an unapproved one expires.

Examples:
  npx lethe purge list
  npx lethe purge list --json`,
  async run(args, io) {
    const { flags } = parseFlags('purge list', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const list = await listPurgeRequests(rt.database.db, rt.ctx.clock.now());
      if (flags.json) printJson(io, { purge_requests: list });
      else if (list.length === 0) io.out('no manual purge requests');
      else io.out(table(['id', 'status', 'target', 'records', 'requested by', 'approved by', 'expires'],
        list.map((v) => [v.id, v.status, v.policy ?? `subject ${v.subject_ref!.slice(0, 12)}…`, v.plan.total, v.requested_by, v.approved_by ?? '', localTime(v.expires_at, cfg.timeZone)])));
      return 0;
    });
  },
};

function describe(v: PurgeView, zone: string): string {
  return [
    `Manual purge ${v.id}: ${v.status} — requested by ${v.requested_by} at ${localTime(v.requested_at, zone)}${v.approved_by ? `, approved by ${v.approved_by}` : `, expires ${localTime(v.expires_at, zone)}`}`,
    `Reason: ${v.reason}`,
    `Plan hash ${v.plan.hash} (the approver passes it as --plan-hash): ${v.plan.total} records`,
    table(['policy', 'action', 'records', 'samples (record refs)'], v.plan.policies.map((p) => [p.id, p.action, p.records, p.samples.map((s) => `${s.slice(0, 12)}…`).join(' ')])),
    ...(v.outcome ? ['', `Executed: ${v.outcome.destroyed} destroyed, ${v.outcome.anonymised} anonymised, ${v.outcome.held} held, ${v.outcome.skipped} skipped (changed or no longer due), ${v.outcome.failed} failed.`] : []),
  ].join('\n');
}

