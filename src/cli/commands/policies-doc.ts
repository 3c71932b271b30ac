import { writeFile } from 'node:fs/promises';
import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { loadConfig } from '../../config.ts';
import { loadPoliciesWithOverrides } from '../../policy/overrides.ts';
import { DOC_FORMATS, renderCatalogue, type DocFormat } from '../../policy/doc.ts';
import { policiesDir } from './common.ts';

export const policiesDocCommand: Command = {
  help: `Usage: lethe policies doc [--policies DIR] [--format md|html] [--out FILE]

Writes a catalogue of every policy in DIR (default LETHE_POLICIES or ./policies), with this
deployment's overrides (LETHE_POLICY_OVERRIDES) applied: per policy its category,
classification, table, clock, retention, statutory minimum and basis, action, children, legal
basis with the file's caveats, and version. For a DPO's review; the HTML page is standalone
and prints cleanly. --format defaults to html when --out ends in .html, else md. Without --out
the catalogue goes to stdout. Needs no database.

Examples:
  npx lethe policies doc --out docs/policies.md
  npx lethe policies doc --format html --out policies.html`,
  async run(args, io) {
    const { flags } = parseFlags('policies doc', args, { policies: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    const out = optionalString(flags, 'out');
    const format = docFormat(optionalString(flags, 'format'), out);
    const cfg = loadConfig({});
    const policies = await loadPoliciesWithOverrides(policiesDir(flags, cfg), cfg.policyOverrides);
    const text = renderCatalogue(policies, format);
    if (out === undefined) {
      io.out(text);
      return 0;
    }
    try {
      await writeFile(out, text);
    } catch (e) {
      throw new UsageError(`lethe policies doc: cannot write --out "${out}": ${(e as Error).message}`);
    }
    io.err(`lethe policies doc: wrote ${policies.length} policies to ${out} (${format})`);
    return 0;
  },
};

function docFormat(given: string | undefined, out: string | undefined): DocFormat {
  if (given === undefined) return out?.toLowerCase().endsWith('.html') ? 'html' : 'md';
  if (!(DOC_FORMATS as readonly string[]).includes(given)) {
    throw new UsageError(`lethe policies doc: --format "${given}" is not one of ${DOC_FORMATS.join(', ')}`);
  }
  return given as DocFormat;
}
