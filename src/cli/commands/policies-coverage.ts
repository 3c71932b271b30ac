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
import { auditRows, describeGroup, type RowCoverage } from '../../policy/coverage-rows.ts';
import { printJson, table, type Io } from '../output.ts';
import { policiesDir } from './common.ts';

const EFFECT: Record<ChildEffect, string> = {
  blocks_delete: 'its rows block the delete: the batch fails',
  deleted_without_evidence: 'ON DELETE CASCADE: its rows vanish without evidence',
  outlives_record: 'ON DELETE SET: its rows outlive the record, link cut without evidence',
};

export const policiesCoverageCommand: Command = {
  help: `Usage: lethe policies coverage [--policies DIR] [--allow FILE] [--rows] [--json]

Reads the catalog of DATABASE_URL (every schema but lethe's and PostgreSQL's own) and lists
  - columns that likely hold personal data — by name or comment (names, phones, ID numbers,
    cards and accounts, e-mail, addresses, birth dates, face/voice/image/recording, IP and
    device identifiers, location, income) or by a foreign key to a table whose rows are the
    people a policy is about — that no policy deletes (a delete policy or a declared child
    takes the whole table) or anonymises (only the columns it lists);
  - tables with a foreign key to a table a policy deletes from, not declared as that policy's
    children: their rows block the delete, or (ON DELETE CASCADE / SET NULL) change without
    evidence.
With --rows, also reads every table a policy names (source, children, consent table) and
counts the rows no policy governs — none whose \`where\` matches them, and not a declared
child of a governed row — broken down by the values of the columns the policies' \`where\`
names (status = approved: 1,834). One grouped scan per table; a table a policy governs whole
(no \`where\`) is not read.
Exits 1 when anything is reported, so a deployment can gate on it; 0 when all is covered.

Deliberate exclusions go in an allow-list (default ./${DEFAULT_ALLOW_FILE} when present):
  - { table: consents, column: customer_id, reason: "proof of consent, kept while ..." }
  - { table: audit.archive, reason: "..." }          # no column: the whole table
  - { table: loans, where: { settled_at: { is_null: true } }, reason: "..." }   # rows, for --rows
Problems in it print as file:line:col: message (exit 2).

Examples:
  DATABASE_URL=postgres://lethe@db/lender npx lethe policies coverage
  npx lethe policies coverage --allow deploy/coverage-allow.yaml --json
  npx lethe policies coverage --rows`,
  async run(args, io) {
    const { flags } = parseFlags('policies coverage', args, { policies: { type: 'string' }, allow: { type: 'string' }, rows: { type: 'boolean' }, json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true });
    const policies = await loadPoliciesWithOverrides(policiesDir(flags, cfg), cfg.policyOverrides);
    const allowFile = optionalString(flags, 'allow') ?? (existsSync(DEFAULT_ALLOW_FILE) ? DEFAULT_ALLOW_FILE : undefined);
    const allow: AllowEntry[] = allowFile === undefined ? [] : await loadAllowList(allowFile);
    const database = openPostgres(cfg.databaseUrl!, { maxConnections: 1 });
    let catalog;
    let rowReport: RowCoverage | undefined;
    try {
      // A policy naming a missing table or column would audit nothing: stop, as `policies check --db` does.
      const checked = await checkCatalog(database.db, policies);
      if (checked.problems.length > 0) throw new PolicyError(checked.problems);
      catalog = await readDatabaseCatalog(database.db);
      const problems = allowProblems(catalog, allow);
      if (problems.length > 0) throw new PolicyError(problems);
      if (flags.rows) rowReport = await auditRows(database.db, policies, allow);
    } finally {
      await database.close();
    }
    const report = auditCoverage(catalog, policies, allow);
    for (const e of unusedAllowEntries(report, allow, rowReport?.allowed.map((a) => a.allowed_at))) {
      io.err(formatProblem({ ...e.at, message: `warning: ${e.schema}.${e.table}${e.column ? `.${e.column}` : ''} is allowed but nothing there is reported: remove the entry if it is stale` }));
    }
    const ungovernedTables = rowReport?.tables.filter((t) => t.ungoverned > 0) ?? [];
    const clean = report.uncovered.length === 0 && report.undeclared_children.length === 0 && ungovernedTables.length === 0;
    if (flags.json) {
      printJson(io, rowReport ? { ...report, rows: rowReport } : report);
      return clean ? 0 : 1;
    }
    if (rowReport) printRows(io, rowReport);
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
    const rowsNote = rowReport ? `, ${ungovernedTables.length} table(s) with ungoverned rows` : '';
    io.out(clean
      ? `Every personal column found is covered by a policy${rowReport ? ', and every row of the tables policies read is governed' : ''}${allowed}.`
      : `${report.uncovered.length} uncovered column(s), ${report.undeclared_children.length} undeclared child table(s)${rowsNote}${allowed}: add or extend a policy, or allow-list with a reason.`);
    return clean ? 0 : 1;
  },
};

function printRows(io: Io, r: RowCoverage): void {
  const bad = r.tables.filter((t) => t.ungoverned > 0);
  if (bad.length > 0) {
    io.out('Rows no policy governs (in tables a policy reads):');
    io.out(table(['table', 'ungoverned', 'which rows', 'read by'], bad.map((t) => [
      t.table, t.ungoverned.toLocaleString('en-US'),
      [...t.by.map((g) => `${describeGroup(g)}: ${g.rows.toLocaleString('en-US')}`), ...(t.more_groups > 0 ? [`other values: ${t.more_groups.toLocaleString('en-US')}`] : [])].join('; '),
      t.read_by.join(', '),
    ])));
    io.out('');
  }
  if (r.allowed.length > 0) {
    io.out('Rows allowed by the allow-list:');
    io.out(table(['table', 'rows', 'where', 'allowed at'], r.allowed.map((a) => [a.table, a.rows.toLocaleString('en-US'), a.where.join(' and ') || 'every row', a.allowed_at])));
    io.out('');
  }
}
