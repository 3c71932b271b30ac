import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { loadRuleset, withRuntime, operatorName } from '../runtime.ts';
import { sweep } from '../../pipeline/sweep.ts';
import { assertRedisAnswers } from '../../pipeline/queues.ts';
import { registry } from '../../../jobs/index.ts';
import { printJson } from '../output.ts';
import { progressBar, progressLine } from '../progress.ts';
import { POLICY_FLAGS, countsTable, policiesDir, selectPolicies } from './common.ts';

export const sweepCommand: Command = {
  help: `Usage: lethe sweep [--policies DIR] [--policy ID] [--json]

Scans every policy (or one), destroys what is due in bounded batches through BullMQ with
in-process workers, and returns when every job it started has finished. Each destroyed or
anonymised record gets an evidence row in the same transaction. Files the destroyed records
pointed to (a policy's objects:) are deleted from their stores before it returns; one that
could not be deleted stays pending for \`lethe worker\` to retry. Exit 1 if any batch failed
(nothing of a failed batch is destroyed; the next sweep tries again).

Examples:
  npx lethe sweep
  npx lethe sweep --policy rejected-loan-applications --json`,
  async run(args, io) {
    const { flags } = parseFlags('sweep', args, POLICY_FLAGS);
    const cfg = loadConfig({ database: true, secret: true });
    await assertRedisAnswers(cfg.redisUrl);
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, policiesDir(flags, cfg));
      const policyIds = selectPolicies('sweep', rules, optionalString(flags, 'policy'));
      const started = Date.now();
      const bar = progressLine(io, !flags.json);
      // The bar says what the per-batch info lines would: on a terminal they would break it up.
      const quiet = !flags.json && io.isTTY && rt.log.level === 'info';
      const ctx = quiet ? { ...rt.ctx, log: rt.log.child({}, { level: 'warn' }) } : rt.ctx;
      const result = await sweep(ctx, rules, cfg, registry, {
        policyIds,
        actor: `operator:${operatorName(cfg)}`,
        // Totals are read for the bar only: never on a pipe, in a log, or with --json.
        onProgress: !bar.enabled ? undefined : ({ totals, batchesOpen }) => {
          const batches = totals.reduce((a, t) => a + t.batches, 0);
          const records = totals.reduce((a, t) => a + t.destroyed + t.anonymised, 0);
          // Scans add batches as they go, so the total grows until the last scan is done.
          bar.update(`sweeping ${progressBar(batches - batchesOpen, batches)} batches · ${records} records destroyed or anonymised`);
        },
      });
      bar.end();
      if (flags.json) printJson(io, { run_id: result.runId, policies: result.policies, objects: { deleted: result.objects.deleted, not_deleted: result.objects.notDeleted, kept: result.objects.kept } });
      else {
        const children = result.policies.reduce((a, p) => a + p.children, 0);
        io.out(`Sweep ${result.runId} finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n\n${countsTable(result.policies, 'sweep')}`);
        if (children > 0) io.out(`\n${children} child rows destroyed with their records.`);
        const o = result.objects;
        if (o.deleted + o.notDeleted + o.kept > 0) {
          io.out(`\n${o.deleted} files deleted from object storage${o.notDeleted > 0 ? `; ${o.notDeleted} not deleted yet (lethe objects status; lethe worker retries them)` : ''}${o.kept > 0 ? `; ${o.kept} kept: records lethe keeps still point to them` : ''}.`);
        }
      }
      return result.policies.some((p) => p.failed > 0) ? 1 : 0;
    });
  },
};
