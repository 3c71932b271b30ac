import type { Command } from './index.ts';
import { optionalString, parseFlags, wholeNumber } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { openPostgres } from '../../db/connect.ts';
import { assertReachable } from '../../db/reachable.ts';
import { createLenderSchema } from '../../lender/schema.ts';
import { migrateServer } from '../../db/migrate.ts';
import { seedLender } from '../../lender/seed.ts';
import { takenLenderTables } from '../../lender/occupied.ts';
import { redactUrl } from '../../redact.ts';
import { printJson, table } from '../output.ts';

export const DEFAULT_SEED_CUSTOMERS = 10_000;
const MAX_SEED_CUSTOMERS = 10_000_000;

export const seedCommand: Command = {
  help: `Usage: lethe seed [--customers N] [--append] [--json]

Migrates lethe's schema into DATABASE_URL (as lethe migrate does), then creates the reference
lender's tables there (schema public: customers, loan
applications and their documents, loans, transactions, KYC records, consents, marketing
profiles, device events, credit records, sales recordings, face verifications, complaints,
access logs, a data-sharing ledger, paper archive boxes) and fills them with --customers
synthetic customers (default ${DEFAULT_SEED_CUSTOMERS}) and everything that hangs off them, dated around now:
some already past their retention, some not yet. It is the data the shipped policies in
./policies act on, so you can try plan, sweep, worker and serve on PostgreSQL.

Refuses a database where a table of those names exists that lethe seed did not create (your
own data: it is never written into), and one where its tables already hold rows, unless
--append (adds N more customers after the existing ones).

Examples:
  createdb lender_trial
  DATABASE_URL=postgres://postgres@127.0.0.1/lender_trial npx lethe seed --customers 10000
  npx lethe seed --customers 5000 --append --json`,
  async run(args, io) {
    const { flags } = parseFlags('seed', args, { customers: { type: 'string' }, append: { type: 'boolean' }, json: { type: 'boolean' } });
    const customers = parseCustomers(optionalString(flags, 'customers'));
    const cfg = loadConfig({ database: true });
    const database = openPostgres(cfg.databaseUrl!, { maxConnections: 1, applicationName: 'lethe seed' });
    try {
      await assertReachable(database.db, cfg.databaseUrl!);
      const taken = await takenLenderTables(database.db);
      const foreign = taken.filter((t) => !t.synthetic);
      if (foreign.length > 0) {
        throw new UsageError(`lethe seed: ${redactUrl(cfg.databaseUrl!)} already has ${foreign.map((t) => t.table).join(', ')}, not made by lethe seed: `
          + 'that looks like real data, and lethe seed never writes into it. Seed a database of its own (createdb lender_trial).');
      }
      const filled = taken.filter((t) => t.rows > 0);
      if (filled.length > 0 && !flags.append) {
        const shown = filled.slice(0, 2).map((t) => `${t.table} has ${t.rows} rows`).join(', ');
        throw new UsageError(`lethe seed: the reference lender is already seeded here (${shown}${filled.length > 2 ? ', …' : ''}): `
          + '--append adds more customers; or seed a fresh database');
      }
      if (!flags.json) io.err(`lethe seed: writing ${customers} synthetic customers and their records into ${redactUrl(cfg.databaseUrl!)}…`);
      const started = Date.now();
      // lethe's own schema first: the lender's pointer indexes are made with lethe.object_key.
      await migrateServer(cfg.databaseUrl!);
      await createLenderSchema(database.db);
      const seeded = await seedLender(database.db, { customers });
      if (flags.json) printJson(io, { database: redactUrl(cfg.databaseUrl!), appended: Boolean(flags.append), seeded });
      else {
        io.out(`${table(['table', 'rows written'], Object.entries(seeded).map(([t, n]) => [`public.${t}`, n]))}\n`);
        io.out(`Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s. Next:\n  npx lethe policies check --db\n  npx lethe plan`);
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};

const parseCustomers = (text: string | undefined): number => wholeNumber('seed', 'customers', text, { min: 1, max: MAX_SEED_CUSTOMERS, fallback: DEFAULT_SEED_CUSTOMERS });
