import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { loadPoliciesWithOverrides } from '../../policy/overrides.ts';
import { buildRuleset } from '../../policy/ruleset.ts';
import { openPostgres } from '../../db/connect.ts';
import { formatProblem } from '../../errors.ts';
import { table } from '../output.ts';
import { policiesDir } from './common.ts';

export const policiesCheckCommand: Command = {
  name: 'policies check',
  summary: 'validate policy files (--db: also tables, columns and indexes)',
  help: `Usage: lethe policies check [--policies DIR] [--db]

Validates every policy file in DIR (default LETHE_POLICIES or ./policies). Problems print as
file:line:col: message, and the command exits 2. With --db, also checks against DATABASE_URL
that every table and column exists with a fitting type, and warns where no index serves a
policy's scan.

Examples:
  npx lethe policies check
  DATABASE_URL=postgres://lethe@db/lender npx lethe policies check --db`,
  async run(args, io) {
    const { flags } = parseFlags('policies check', args, { policies: { type: 'string' }, db: { type: 'boolean' } });
    const cfg = loadConfig({ database: Boolean(flags.db) });
    const policies = await loadPoliciesWithOverrides(policiesDir(flags, cfg), cfg.policyOverrides);
    if (flags.db) {
      const database = openPostgres(cfg.databaseUrl!, { maxConnections: 1 });
      try {
        const { warnings } = await buildRuleset(database.db, policies);
        for (const w of warnings) io.err(formatProblem({ ...w, message: `warning: ${w.message}` }));
      } finally {
        await database.close();
      }
    }
    io.out(table(['policy', 'category', 'class', 'trigger', 'retain', 'minimum', 'action'], policies.map((p) => [
      p.id, p.category, p.classification, p.trigger.kind === 'expiry' ? `expiry(${p.trigger.from})` : p.trigger.kind,
      p.retain.iso, p.minimum?.period.iso ?? '', p.action.kind,
    ])));
    io.out(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} OK${flags.db ? ' (checked against the database)' : ''}`);
    return 0;
  },
};
