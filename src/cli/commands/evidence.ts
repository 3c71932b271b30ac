import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from './index.ts';
import { optionalString, parseFlags, parseInstant, requireString } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { withRuntime } from '../runtime.ts';
import { verifyEvidence } from '../../evidence/verify.ts';
import { exportEvidence } from '../../evidence/export.ts';
import { findEvidence } from '../../evidence/find.ts';
import { printJson, table } from '../output.ts';

export const evidenceVerifyCommand: Command = {
  name: 'evidence verify',
  summary: 'recompute every evidence hash and the chain; exit 1 naming the first broken record',
  help: `Usage: lethe evidence verify [--json]

Recomputes every evidence record's hash, each batch's chain and the chain of batch seals.
Exit 0 when all hold; exit 1 naming the first broken record (altered, removed or inserted).

Example:
  npx lethe evidence verify --json`,
  async run(args, io) {
    const { flags } = parseFlags('evidence verify', args, { json: { type: 'boolean' }, 'from-file': { type: 'string' } });
    if (flags['from-file'] !== undefined) throw new UsageError('lethe evidence verify: --from-file (offline verification of a signed export) is not available in this version');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const result = await verifyEvidence(rt.database.db, rt.ctx.keys);
      if (flags.json) printJson(io, result);
      else if (result.ok) io.out(`evidence OK: ${result.records} records, chain intact`);
      else io.out(`evidence BROKEN at record seq ${result.first_broken!.seq}: ${result.first_broken!.reason} (${result.records} records checked)`);
      return result.ok ? 0 : 1;
    });
  },
};

export const evidenceExportCommand: Command = {
  name: 'evidence export',
  summary: 'the destruction register for auditors (json or csv)',
  help: `Usage: lethe evidence export [--from ISO] [--to ISO] [--format json|csv] [--out FILE]

Writes every evidence record with occurred_at in [from, to) to FILE (default stdout).
No record holds personal data: subjects and records appear as keyed pseudonyms.

Example:
  npx lethe evidence export --from 2026-01-01 --to 2027-01-01 --format csv --out register-2026.csv`,
  async run(args, io) {
    const { flags } = parseFlags('evidence export', args, { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    const format = optionalString(flags, 'format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new UsageError(`lethe evidence export: --format "${format}" is not allowed; use json or csv`);
    const from = parseInstant('evidence export', 'from', optionalString(flags, 'from'));
    const to = parseInstant('evidence export', 'to', optionalString(flags, 'to'));
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const outPath = optionalString(flags, 'out');
      const out = outPath ? createWriteStream(outPath) : process.stdout;
      const n = await exportEvidence(rt.database.db, { from, to, format, out });
      if (outPath) {
        out.end();
        await finished(out);
        io.err(`${n} evidence records written to ${outPath}`);
      }
      return 0;
    });
  },
};

export const evidenceFindCommand: Command = {
  name: 'evidence find',
  summary: 'what was destroyed for one data subject',
  help: `Usage: lethe evidence find --subject ID [--json]

Computes the subject's pseudonym (the raw id is not stored anywhere) and lists the evidence
records that carry it.

Example:
  npx lethe evidence find --subject 1000042`,
  async run(args, io) {
    const { flags } = parseFlags('evidence find', args, { subject: { type: 'string' }, json: { type: 'boolean' } });
    const subject = requireString('evidence find', flags, 'subject');
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const found = await findEvidence(rt.database.db, rt.ctx.keys, subject);
      if (flags.json) printJson(io, { records: found });
      else if (found.length === 0) io.out('no evidence records for this subject');
      else io.out(table(['seq', 'occurred_at', 'policy', 'trigger', 'action', 'table', 'record_ref'],
        found.map((r) => [r.seq, String(r.occurred_at), r.policy_id, r.trigger, r.action, r.table, `${String(r.record_ref).slice(0, 16)}…`])));
      return 0;
    });
  },
};
