import type { Command } from './index.ts';
import { describeTrigger } from '../../policy/triggers/index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { loadPoliciesWithOverrides } from '../../policy/overrides.ts';
import { buildRuleset } from '../../policy/ruleset.ts';
import { openPostgres } from '../../db/connect.ts';
import { PolicyError, formatProblem } from '../../errors.ts';
import { loadStoreRegistry } from '../../objects/stores.ts';
import { checkPolicyStores } from '../../objects/check.ts';
import { printJson, table } from '../output.ts';
import { policiesDir } from './common.ts';
import { partmanRetentionWarnings } from '../../policy/partman.ts';

export const policiesCheckCommand: Command = {
  help: `Usage: lethe policies check [--policies DIR] [--db] [--json]

Validates every policy file in DIR (default LETHE_POLICIES or ./policies). Problems print as
file:line:col: message, and the command exits 2. With --db, also checks against DATABASE_URL
that every table and column exists with a fitting type, and warns where no index serves a
policy's scan, and where pg_partman's own retention (part_config.retention) would drop or
detach partitions of a table a policy destroys from. The object store registry (LETHE_STORES, ./stores.yaml) is checked too: every
store a policy's objects: name must be in it. --json prints {"policies": [...], "warnings": [...]}; problems still go to
stderr as file:line:col: message.

Examples:
  npx lethe policies check
  DATABASE_URL=postgres://lethe@db/lender npx lethe policies check --db --json`,
  async run(args, io) {
    const { flags } = parseFlags('policies check', args, { policies: { type: 'string' }, db: { type: 'boolean' }, json: { type: 'boolean' } });
    const cfg = loadConfig({ database: Boolean(flags.db) });
    const policies = await loadPoliciesWithOverrides(policiesDir(flags, cfg), cfg.policyOverrides);
    const warnings: string[] = [];
    // The store registry is checked too: a policy naming a store lethe does not know stops here.
    const stores = loadStoreRegistry(cfg.storesFile);
    const storeProblems = checkPolicyStores(policies, stores);
    if (storeProblems.length > 0) throw new PolicyError(storeProblems);
    if (flags.db) {
      const database = openPostgres(cfg.databaseUrl!, { maxConnections: 1 });
      try {
        const found = [...(await buildRuleset(database.db, policies, stores)).warnings, ...await partmanRetentionWarnings(database.db, policies)];
        for (const w of found) warnings.push(formatProblem({ ...w, message: `warning: ${w.message}` }));
      } finally {
        await database.close();
      }
    }
    if (flags.json) {
      printJson(io, { policies: policies.map((p) => ({
        id: p.id, category: p.category, classification: p.classification, trigger: p.trigger.kind,
        retain: p.retain.iso, minimum: p.minimum?.period.iso ?? null, action: p.action.kind,
      })), warnings, checked_against_database: Boolean(flags.db) });
      return 0;
    }
    for (const w of warnings) io.err(w);
    io.out(table(['policy', 'category', 'class', 'trigger', 'retain', 'minimum', 'action'], policies.map((p) => [
      p.id, p.category, p.classification, describeTrigger(p),
      p.retain.iso, p.minimum?.period.iso ?? '', p.action.kind,
    ])));
    io.out(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} OK${flags.db ? ' (checked against the database)' : ''}`);
    return 0;
  },
};
