import type { Command } from './index.ts';
import { optionalString, parseFlags, parseInstant } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { loadRuleset, withRuntime } from '../runtime.ts';
import { fixedClock, systemClock } from '../../clock.ts';
import { plan } from '../../plan/plan.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';
import { POLICY_FLAGS, countsTable, policiesDir, selectPolicies } from './common.ts';

export const planCommand: Command = {
  help: `Usage: lethe plan [--policies DIR] [--policy ID] [--subject ID] [--as-of ISO] [--json]

Counts, per policy, the records a sweep would destroy or anonymise now (or at --as-of), and
those a legal hold (held) or a statutory minimum (deferred) keeps. Changes nothing: a sweep
right after does exactly what the plan counted. Counts are of source records; children are not
included. For paper and media (action manual), due rows are the ones the sweep would put into
destruction tasks; rows already in an open task are counted apart ("in tasks", tasked in --json).
For a table range-partitioned on the policy's clock, also how many partitions a sweep would drop
whole, their rows, and the due rows left to batches (partitions in --json).

With --subject, also what an erasure request for that subject would do now (on_erasure in
--json): destroy, defer (only a floor set by a law or administrative regulation defers it;
one from a regulator's rule or applied by analogy yields), or keep under a hold.

Examples:
  npx lethe plan
  npx lethe plan --policy rejected-loan-applications --as-of 2027-01-01 --json
  npx lethe plan --subject 1000042`,
  async run(args, io) {
    const { flags } = parseFlags('plan', args, { ...POLICY_FLAGS, subject: { type: 'string' }, 'as-of': { type: 'string' } });
    const asOf = parseInstant('plan', 'as-of', optionalString(flags, 'as-of'));
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, policiesDir(flags, cfg));
      const policyIds = selectPolicies('plan', rules, optionalString(flags, 'policy'));
      const counts = await plan(rt.ctx, rules, { now: rt.ctx.clock.now(), subject: optionalString(flags, 'subject'), policyIds,
        wholePartitions: cfg.dropPartitions });
      if (flags.json) printJson(io, { as_of: rt.ctx.clock.now().toISOString(), policies: counts });
      else io.out(`Plan as of ${localTime(rt.ctx.clock.now(), cfg.timeZone)} (nothing is changed)\n\n${countsTable(counts, 'plan')}`);
      const partitioned = counts.filter((c) => c.partitions);
      if (!flags.json && partitioned.length > 0) {
        io.out(`\nOf what is due, in tables partitioned on the policy's clock:\n${table(['policy', 'partitions dropped whole', 'their rows', 'rows by batch'],
          partitioned.map((c) => [c.id, c.partitions!.whole, c.partitions!.whole_rows, c.partitions!.batch_rows]))}`);
      }
      const erasure = counts.filter((c) => c.on_erasure && c.on_erasure.destroy + c.on_erasure.defer + c.on_erasure.held > 0);
      if (!flags.json && optionalString(flags, 'subject') !== undefined) {
        io.out(`\nAn erasure request for this subject now would:\n${erasure.length === 0 ? 'find nothing to erase' : table(['policy', 'floor', 'destroy', 'defer', 'held'],
          erasure.map((c) => [c.id, c.floor ?? '', c.on_erasure!.destroy, c.on_erasure!.defer, c.on_erasure!.held]))}`);
      }
      return 0;
    }, { clock: asOf ? fixedClock(asOf) : systemClock });
  },
};
