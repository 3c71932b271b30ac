import type { Command } from './index.ts';
import { optionalString, parseFlags, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { loadRuleset, withRuntime, operatorName, type Runtime } from '../runtime.ts';
import { subjectKnown } from '../../erasure/requests.ts';
import { addHold, listHolds, releaseHold } from '../../holds/holds.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';
import type { Ruleset } from '../../engine.ts';

export const holdAddCommand: Command = {
  help: `Usage: lethe hold add --subject ID --reason TEXT [--policy ID] [--json]

Places a legal hold on a data subject (all policies, or one). Only the pseudonymous reference
of the subject is stored. When the command returns, no purge can destroy the subject's
records, including a sweep already running. A subject that matches no record now is held all
the same (a hold may come before the data) and the command says so. ID must be written as the
subject column holds it (for an integer column: no leading zeros, sign or spaces); another
spelling is refused (exit 2) with the one to use, so a hold always protects what
\`lethe erase\` of the same ID would destroy.

Examples:
  LETHE_OPERATOR=wang.li npx lethe hold add --subject 1000042 --reason "AML investigation 2026-117"`,
  async run(args, io) {
    const { flags } = parseFlags('hold add', args, { subject: { type: 'string' }, reason: { type: 'string' }, policy: { type: 'string' }, json: { type: 'boolean' } });
    const subject = requireString('hold add', flags, 'subject');
    const reason = requireString('hold add', flags, 'reason');
    const policyId = optionalString(flags, 'policy');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      // The subject columns read the id (src/subjects/canonical.ts): the policies come first.
      const rules = await loadRuleset(rt, cfg.policiesDir);
      if (policyId !== undefined && !rules.get(policyId)) {
        throw new UsageError(`lethe hold add: --policy "${policyId}" is not a loaded policy; loaded: ${rules.policies.map((p) => p.id).join(', ')}`);
      }
      const hold = await addHold(rt.ctx, rules, { subject, reason, policyId, actor: `operator:${operatorName(cfg)}` });
      // Placed first: a hold may precede the data. Then say whether it covers anything now.
      const known = await matchesRecords(rt, rules, subject);
      if (flags.json) printJson(io, { id: hold.id, subject_known: known });
      else io.out(`hold ${hold.id} placed on subject ${hold.subject_ref.slice(0, 16)}… ${policyId ? `for policy ${policyId}` : 'for all policies'}`);
      if (known === false) {
        io.err('lethe hold add: note: this subject matches no record under any loaded policy now, and none was ever destroyed. '
          + 'The hold is in place and will protect records that arrive later; check the id if you expected it to cover records now.');
      }
      return 0;
    });
  },
};

export const holdReleaseCommand: Command = {
  help: `Usage: lethe hold release HOLD_ID --reason TEXT [--json]

Releases a legal hold: the subject's records are destroyed again when due. The reason is kept
with the hold.

Examples:
  npx lethe hold release hold-3f9a1c2b7d4e --reason "investigation closed"`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('hold release', args, { reason: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const id = positionals[0];
    if (!id) throw new UsageError('lethe hold release: HOLD_ID is required (see `lethe hold list`)');
    const reason = requireString('hold release', flags, 'reason');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      await releaseHold(rt.ctx, id, reason, `operator:${operatorName(cfg)}`);
      if (flags.json) printJson(io, { id, released: true });
      else io.out(`hold ${id} released`);
      return 0;
    });
  },
};

export const holdListCommand: Command = {
  help: `Usage: lethe hold list [--json]

Lists active legal holds: the subject as a pseudonymous reference, the policy (or all), when,
by whom and why.

Examples:
  npx lethe hold list
  npx lethe hold list --json`,
  async run(args, io) {
    const { flags } = parseFlags('hold list', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const holds = await listHolds(rt.database.db);
      if (flags.json) printJson(io, { holds: holds.map(({ placed_by: _p, ...h }) => h) });
      else if (holds.length === 0) io.out('no active holds');
      else io.out(table(['id', 'subject_ref', 'policy', 'placed', 'placed_by', 'reason'],
        holds.map((h) => [h.id, `${h.subject_ref.slice(0, 16)}…`, h.policy ?? '(all)', localTime(h.placed_at, cfg.timeZone), h.placed_by, h.reason])));
      return 0;
    });
  },
};

/** Whether any loaded policy governs a record of the subject now; undefined when the lookup fails. */
async function matchesRecords(rt: Runtime, rules: Ruleset, subject: string): Promise<boolean | undefined> {
  try {
    return await subjectKnown(rt.ctx, rules, subject);
  } catch {
    return undefined;
  }
}
