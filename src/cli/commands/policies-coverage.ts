import { existsSync } from 'node:fs';
import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { openPostgres } from '../../db/connect.ts';
import { PolicyError, formatProblem } from '../../errors.ts';
import { loadPoliciesWithOverrides } from '../../policy/overrides.ts';
import { checkCatalog } from '../../policy/catalog.ts';
import { DEFAULT_ALLOW_FILE, loadAllowList, type AllowEntry } from '../../policy/coverage-allow.ts';
import { allowProblems, auditCoverage, readDatabaseCatalog, unusedAllowEntries, type ChildEffect } from '../../policy/coverage.ts';
import { printJson, table } from '../output.ts';
import { policiesDir } from './common.ts';

const EFFECT: Record<ChildEffect, string> = {
  blocks_delete: 'its rows block the delete: the batch fails',
  deleted_without_evidence: 'ON DELETE CASCADE: its rows vanish without evidence',
  outlives_record: 'ON DELETE SET: its rows outlive the record, link cut without evidence',
};

export const policiesCoverageCommand: Command = {
  help: `Usage: lethe policies coverage [--policies DIR] [--allow FILE] [--json]

Reads the catalog of DATABASE_URL (every schema but lethe's and PostgreSQL's own) and lists
  - columns that likely hold personal data — by name or comment (names, phones, ID numbers,
    cards and accounts, e-mail, addresses, birth dates, face/voice/image/recording, IP and
    device identifiers, location, income) or by a foreign key to a table whose rows are the
    people a policy is about — that no policy deletes (a delete policy or a declared child
    takes the whole table) or anonymises (only the columns it lists);
  - tables with a foreign key to a table a policy deletes from, not declared as that policy's
    children: their rows block the delete, or (ON DELETE CASCADE / SET NULL) change without
    evidence.
Exits 1 when anything is reported, so a deployment can gate on it; 0 when all is covered.

Deliberate exclusions go in an allow-list (default ./${DEFAULT_ALLOW_FILE} when present):
  - { table: consents, column: customer_id, reason: "proof of consent, kept while ..." }
  - { table: audit.archive, reason: "..." }          # no column: the whole table
Problems in it print as file:line:col: message (exit 2).

Examples:
  DATABASE_URL=postgres://lethe@db/lender npx lethe policies coverage
  npx lethe policies coverage --allow deploy/coverage-allow.yaml --json`,
  async run(args, io) {
    const { flags } = parseFlags('policies coverage', args, { policies: { type: 'string' }, allow: { type: 'string' }, json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true });
    const policies = await loadPoliciesWithOverrides(policiesDir(flags, cfg), cfg.policyOverrides);
    const allowFile = optionalString(flags, 'allow') ?? (existsSync(DEFAULT_ALLOW_FILE) ? DEFAULT_ALLOW_FILE : undefined);
    const allow: AllowEntry[] = allowFile === undefined ? [] : await loadAllowList(allowFile);
    const database = openPostgres(cfg.databaseUrl!, { maxConnections: 1 });
    let catalog;
    try {
      // A policy naming a missing table or column would audit nothing: stop, as `policies check --db` does.
      const checked = await checkCatalog(database.db, policies);
      if (checked.problems.length > 0) throw new PolicyError(checked.problems);
      catalog = await readDatabaseCatalog(database.db);
    } finally {
      await database.close();
    }
    const problems = allowProblems(catalog, allow);
    if (problems.length > 0) throw new PolicyError(problems);
    const report = auditCoverage(catalog, policies, allow);
    for (const e of unusedAllowEntries(report, allow)) {
      io.err(formatProblem({ ...e.at, message: `warning: ${e.schema}.${e.table}${e.column ? `.${e.column}` : ''} is allowed but nothing there is reported: remove the entry if it is stale` }));
    }
    const clean = report.uncovered.length === 0 && report.undeclared_children.length === 0;
    if (flags.json) {
      printJson(io, report);
      return clean ? 0 : 1;
    }
    if (report.uncovered.length > 0) {
      io.out('Personal data no policy destroys or anonymises:');
      io.out(table(['table', 'column', 'kind', 'why'], report.uncovered.map((u) => [
        u.table, u.column, u.kinds.join(', '),
        [...u.reasons, ...(u.anonymised_by.length ? [`${u.anonymised_by.join(', ')} anonymises other columns, not this one`] : [])].join('; '),
      ])));
      io.out('');
    }
    if (report.undeclared_children.length > 0) {
      io.out('Tables referencing what a policy deletes, not declared as its children:');
      io.out(table(['policy', 'table', 'column', 'references', 'effect'], report.undeclared_children.map((c) => [
        c.policy, c.table, c.column, c.references, EFFECT[c.effect],
      ])));
      io.out('');
    }
    const allowed = report.allowed.length > 0 ? ` (${report.allowed.length} allowed by ${allowFile}; --json lists them with their reasons)` : '';
    io.out(clean
      ? `Every personal column found is covered by a policy${allowed}.`
      : `${report.uncovered.length} uncovered column(s), ${report.undeclared_children.length} undeclared child table(s)${allowed}: add or extend a policy, or allow-list with a reason.`);
    return clean ? 0 : 1;
  },
};
