import { createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from './index.ts';
import { optionalString, parseFlags, parseInstant, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { loadRuleset, withRuntime, operatorName } from '../runtime.ts';
import { canonicalSubject } from '../../subjects/canonical.ts';
import { verifyEvidence } from '../../evidence/verify.ts';
import { pruneEvidence } from '../../evidence/prune.ts';
import { EXPORT_FORMATS, exportEvidence, type ExportFormat } from '../../evidence/export.ts';
import { findEvidence } from '../../evidence/find.ts';
import { verifyExportFile } from '../../evidence/offline.ts';
import { signFile } from '../../evidence/sign.ts';
import { generateSigningKeys } from '../../evidence/keys.ts';
import { deriveKeys } from '../../crypto/keys.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';

export const evidenceVerifyCommand: Command = {
  help: `Usage: lethe evidence verify [--from-file FILE] [--json]

Recomputes every evidence record's hash, each batch's chain and the chain of batch seals.
Exit 0 when all hold; exit 1 naming the first broken record (altered, removed or inserted).

--from-file checks an export offline, with no database (DATABASE_URL may be unset), in two parts:
  signature  FILE.sig against LETHE_EXPORT_VERIFY_KEY (the public key is all it needs)
  hashes     every record, batch chain and seal in a JSON export (needs LETHE_SECRET)
An unsigned file passes on its hashes only where no LETHE_EXPORT_VERIFY_KEY is set.

Examples:
  npx lethe evidence verify --json
  LETHE_EXPORT_VERIFY_KEY=MCowBQYDK2VwAyEA... npx lethe evidence verify --from-file register-2026.json`,
  async run(args, io) {
    const { flags } = parseFlags('evidence verify', args, { json: { type: 'boolean' }, 'from-file': { type: 'string' } });
    const file = optionalString(flags, 'from-file');
    if (file !== undefined) {
      const cfg = loadConfig();
      if (!existsSync(file)) throw new UsageError(`lethe evidence verify: --from-file "${file}" does not exist`);
      const result = await verifyExportFile(file, { evidenceKey: cfg.secret ? deriveKeys(cfg.secret).evidenceKey : undefined, verifyKey: cfg.exportVerifyKey ?? cfg.exportSigningKey });
      if (flags.json) printJson(io, result);
      else {
        io.out(`${file}: ${result.ok ? 'OK' : 'FAILED'}`);
        io.out(`  ${result.signature.message}`);
        io.out(`  ${result.hashes.message}`);
      }
      return result.ok ? 0 : 1;
    }
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const result = await verifyEvidence(rt.database.db, rt.ctx.keys);
      if (flags.json) printJson(io, result);
      else if (result.ok) io.out(`evidence OK: ${result.records} records, chain intact`);
      else {
        io.out(`evidence BROKEN at record seq ${result.first_broken!.seq}: ${result.first_broken!.reason} (${result.records} records checked)`);
        // Everything lethe's own records say is gone, not only the first.
        if (result.missing && result.missing.length > 1) io.out(result.missing.map((m) => `  ${m}`).join('\n'));
      }
      return result.ok ? 0 : 1;
    });
  },
};

export const evidenceExportCommand: Command = {
  help: `Usage: lethe evidence export [--from ISO] [--to ISO] [--format json|csv|html] [--out FILE]

Writes the destruction register for evidence with occurred_at in [from, to) to FILE (default stdout):
  json  runs (per run: kind, trigger, started/finished, executed by, approved by; per policy:
        category, class, how, records and child rows, retention owed and served, when), the
        seals, and every record: everything \`evidence verify --from-file\` needs
  csv   one line per record (the register's per-run view is in json and html)
  html  the register as a printable page (A4, a page per run)
With LETHE_EXPORT_SIGNING_KEY set, --out FILE also writes the detached signature FILE.sig.
No record holds personal data: subjects and records appear as keyed pseudonyms.

Examples:
  npx lethe evidence export --from 2026-01-01 --to 2027-01-01 --out register-2026.json
  npx lethe evidence export --from 2026-01-01 --to 2027-01-01 --format html --out register-2026.html`,
  async run(args, io) {
    const { flags } = parseFlags('evidence export', args, { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    const format = optionalString(flags, 'format') ?? 'json';
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`lethe evidence export: --format "${format}" is not allowed; use ${EXPORT_FORMATS.join(', ')}`);
    const from = parseInstant('evidence export', 'from', optionalString(flags, 'from'));
    const to = parseInstant('evidence export', 'to', optionalString(flags, 'to'));
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const outPath = optionalString(flags, 'out');
      const out = outPath ? createWriteStream(outPath) : process.stdout;
      const n = await exportEvidence(rt.database.db, { from, to, format: format as ExportFormat, out, now: rt.ctx.clock.now(), evidenceKey: rt.ctx.keys.evidenceKey, timeZone: cfg.timeZone });
      if (!outPath) {
        if (cfg.exportSigningKey) io.err('not signed: a signature needs a file (--out FILE)');
        return 0;
      }
      out.end();
      await finished(out);
      io.err(`${n} evidence records written to ${outPath}`);
      if (cfg.exportSigningKey) io.err(`signed: ${await signFile(outPath, cfg.exportSigningKey, rt.ctx.clock.now())} (Ed25519)`);
      else io.err('not signed: LETHE_EXPORT_SIGNING_KEY is not set (make a key pair with `lethe evidence keygen`)');
      return 0;
    });
  },
};

export const evidenceKeygenCommand: Command = {
  help: `Usage: lethe evidence keygen [--json]

Prints a new key pair: LETHE_EXPORT_SIGNING_KEY (private: keep it with LETHE_SECRET) and
LETHE_EXPORT_VERIFY_KEY (public: give it to whoever checks exports). Stores nothing.

Examples:
  npx lethe evidence keygen > export-keys.env`,
  async run(args, io) {
    const { flags } = parseFlags('evidence keygen', args, { json: { type: 'boolean' } });
    const pair = generateSigningKeys();
    if (flags.json) printJson(io, { signing_key: pair.privateKey, verify_key: pair.publicKey, key_id: pair.keyId });
    else io.out(`# lethe export signing key ${pair.keyId}\nLETHE_EXPORT_SIGNING_KEY=${pair.privateKey}\nLETHE_EXPORT_VERIFY_KEY=${pair.publicKey}`);
    return Promise.resolve(0);
  },
};

export const evidenceFindCommand: Command = {
  help: `Usage: lethe evidence find --subject ID [--json]

Computes the subject's pseudonym (the raw id is not stored anywhere) and lists the evidence
records that carry it. ID is checked against the loaded policies' subject columns like
\`lethe hold add\` and \`lethe erase\`: another spelling of an id is refused (exit 2).

Examples:
  npx lethe evidence find --subject 1000042`,
  async run(args, io) {
    const { flags } = parseFlags('evidence find', args, { subject: { type: 'string' }, json: { type: 'boolean' } });
    const subject = requireString('evidence find', flags, 'subject');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      // The spelling the subject columns print, as for hold and erase: another finds no one's evidence.
      const found = await findEvidence(rt.database.db, rt.ctx.keys, canonicalSubject(await loadRuleset(rt, cfg.policiesDir), subject));
      if (flags.json) printJson(io, { records: found });
      else if (found.length === 0) io.out('no evidence records for this subject');
      else io.out(table(['seq', 'occurred', 'policy', 'trigger', 'action', 'table', 'record_ref'],
        found.map((r) => [r.seq, localTime(String(r.occurred_at), cfg.timeZone, { seconds: true }), r.policy_id, r.trigger, r.action, r.table, `${String(r.record_ref).slice(0, 16)}…`])));
      return 0;
    });
  },
};

export const evidencePruneCommand: Command = {
  help: `Usage: lethe evidence prune [--dry-run] [--json]

Evidence records are themselves records of processing (PIPL art. 56): kept at least three years
(LETHE_EVIDENCE_RETAIN, default P3Y, never less), then pruned. A prune removes the oldest whole
sealed batches and appends an HMAC-chained anchor the remaining chain starts from, so
\`evidence verify\` still checks everything that remains. Export the register first if your
auditors keep it longer. \`lethe worker\` prunes once a day.

Examples:
  npx lethe evidence prune --dry-run`,
  async run(args, io) {
    const { flags } = parseFlags('evidence prune', args, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const r = await pruneEvidence(rt.ctx, cfg.evidenceRetain, `operator:${operatorName(cfg)}`, Boolean(flags['dry-run']));
      if (flags.json) printJson(io, { dry_run: Boolean(flags['dry-run']), ...r });
      else io.out(`${flags['dry-run'] ? 'Would prune' : 'Pruned'} ${r.records} evidence records in ${r.seals} sealed batches older than ${r.cutoff}`);
      return 0;
    });
  },
};
