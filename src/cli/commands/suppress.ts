import { writeFile } from 'node:fs/promises';
import type { Command } from './index.ts';
import { optionalString, parseFlags, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { loadRuleset, operatorName, withRuntime } from '../runtime.ts';
import { checkSuppression, liftSuppression, suppressionPurposes } from '../../suppress/check.ts';
import { exportSuppressions, suppressionCsv, suppressionKeyId } from '../../suppress/export.ts';
import { printJson } from '../output.ts';
import { deriveKeys } from '../../crypto/keys.ts';
import { policiesDir } from './common.ts';

/** `suppress check`'s exit code when the answer is: do not contact. */
export const SUPPRESSED_EXIT = 3;

export const suppressCheckCommand: Command = {
  help: `Usage: lethe suppress check --purpose P (--subject ID | --contact VALUE) [--policies DIR] [--json]

Asks the suppression list whether a subject, or a phone number or e-mail address, may be
contacted for purpose P (a purpose whose policy has \`suppress:\`). The list keeps keyed hashes,
never values, of subjects who withdrew their consent or had their data erased, and of their
contact points, while the refusal stands. A contact is normalised first: any spelling of the same
phone number (+86 138-0013-8000, 008613800138000, 13800138000) or address (any case) matches.

Exit 0: may be contacted. Exit 3: suppressed, do not contact. Exit 2: bad input (an unknown
purpose, both or neither of --subject and --contact, a value that is no phone or address).
--json prints {"purpose", "kind", "suppressed", "since", "reasons"}.

Examples:
  npx lethe suppress check --purpose marketing --contact 13800138000
  npx lethe suppress check --purpose marketing --subject 100000042 --json`,
  async run(args, io) {
    const { flags } = parseFlags('suppress check', args, { purpose: { type: 'string' }, subject: { type: 'string' }, contact: { type: 'string' },
      policies: { type: 'string' }, json: { type: 'boolean' } });
    const purpose = requireString('suppress check', flags, 'purpose');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, policiesDir(flags, cfg));
      const answer = await checkSuppression(rt.database.db, rt.ctx.keys, rules,
        { purpose, subject: optionalString(flags, 'subject'), contact: optionalString(flags, 'contact') });
      if (flags.json) printJson(io, answer);
      else io.out(answer.suppressed
        ? `SUPPRESSED for ${purpose}: do not contact (refused since ${answer.since}: ${answer.reasons.join(', ')})`
        : `may be contacted for ${purpose}: no standing refusal on the list`);
      return answer.suppressed ? SUPPRESSED_EXIT : 0;
    });
  },
};

export const suppressLiftCommand: Command = {
  help: `Usage: lethe suppress lift --purpose P --subject ID --reason TEXT [--policies DIR] [--json]

Lifts a subject's refusal for purpose P, with their contact points, once they granted the
consent again: the consent table of P's policy must show a standing consent (withdrawn_at NULL),
else the command refuses (exit 1) and the refusal stands. The consent system can do the same with
POST /events/consent-granted. The entries are kept, marked lifted (who, when, why).

Examples:
  LETHE_OPERATOR=wang.li npx lethe suppress lift --purpose marketing --subject 100000042 --reason "consent renewed in app, ticket CS-2026-118"`,
  async run(args, io) {
    const { flags } = parseFlags('suppress lift', args, { purpose: { type: 'string' }, subject: { type: 'string' }, reason: { type: 'string' },
      policies: { type: 'string' }, json: { type: 'boolean' } });
    const purpose = requireString('suppress lift', flags, 'purpose');
    const subject = requireString('suppress lift', flags, 'subject');
    const reason = requireString('suppress lift', flags, 'reason');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, policiesDir(flags, cfg));
      const lifted = await liftSuppression(rt.ctx, rules, { purpose, subject, reason, actor: `operator:${operatorName(cfg)}` });
      if (flags.json) printJson(io, { purpose, lifted });
      else io.out(`lifted ${lifted} suppression entr${lifted === 1 ? 'y' : 'ies'} for ${purpose}`);
      return 0;
    });
  },
};

export const suppressExportCommand: Command = {
  help: `Usage: lethe suppress export --purpose P [--format json|csv] [--out FILE] [--policies DIR]

Writes the standing refusals of purpose P as keyed hashes, one per subject and contact point,
for the systems that contact people (campaign tools, SMS platforms, 外呼 call centres) to load
and match before they send or dial. No value leaves lethe: a recipient matches by normalising its
own contacts as the file's header says and hashing them with the suppression key, which it is
given apart (\`lethe suppress key\`). The file is pseudonymised personal information: hand it over
under the entrustment contract. --format json (default) or csv (kind,hash).

Examples:
  npx lethe suppress export --purpose marketing --format csv --out marketing-suppressions.csv`,
  async run(args, io) {
    const { flags } = parseFlags('suppress export', args, { purpose: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' },
      policies: { type: 'string' } });
    const purpose = requireString('suppress export', flags, 'purpose');
    const format = optionalString(flags, 'format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new UsageError(`lethe suppress export: --format "${format}" is not one of json, csv`);
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const rules = await loadRuleset(rt, policiesDir(flags, cfg));
      if (!suppressionPurposes(rules).includes(purpose)) {
        throw new UsageError(`lethe suppress export: no loaded policy keeps a suppression list for purpose "${purpose}"; purposes with one: ${suppressionPurposes(rules).join(', ') || '(none)'}`);
      }
      const list = await exportSuppressions(rt.database.db, rt.ctx.keys, purpose, rt.ctx.clock.now());
      const text = format === 'csv' ? suppressionCsv(list) : `${JSON.stringify(list, null, 2)}\n`;
      const out = optionalString(flags, 'out');
      if (out === undefined) io.out(text.replace(/\n$/, ''));
      else {
        await writeFile(out, text).catch((e: Error) => { throw new UsageError(`lethe suppress export: cannot write --out "${out}": ${e.message}`); });
        io.err(`lethe suppress export: wrote ${list.entries.length} entries for ${purpose} to ${out} (key id ${list.key_id})`);
      }
      return 0;
    });
  },
};

export const suppressKeyCommand: Command = {
  help: `Usage: lethe suppress key --out FILE

Writes the suppression key (hex) to FILE, created with mode 0600 and never overwritten: the key a
recipient of \`lethe suppress export\` hashes its own contacts with. It is derived from LETHE_SECRET
under a label of its own, so it opens the suppression list and nothing else (not evidence, not
subject pseudonyms, not holds). Hand it over apart from the list. It is never printed.

Examples:
  npx lethe suppress key --out /secure/handover/suppression.key`,
  async run(args, io) {
    const { flags } = parseFlags('suppress key', args, { out: { type: 'string' } });
    const out = requireString('suppress key', flags, 'out');
    const cfg = loadConfig({ secret: true });
    const keys = deriveKeys(cfg.secret!);
    await writeFile(out, `${keys.suppressKey.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
      .catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`lethe suppress key: cannot write --out "${out}"${e.code === 'EEXIST' ? ': the file exists, and a key file is never overwritten' : `: ${e.message}`}`);
      });
    io.err(`lethe suppress key: wrote the suppression key (key id ${suppressionKeyId(keys)}) to ${out}`);
    return 0;
  },
};
