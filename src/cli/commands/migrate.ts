import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { migrateServer } from '../../db/migrate.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or update the lethe schema (idempotent, safe from several processes)',
  help: `Usage: lethe migrate

Creates or updates the \`lethe\` schema in DATABASE_URL under an advisory lock: several
processes may run it at once; the others wait, then find nothing to do.

Example:
  DATABASE_URL=postgres://lethe@db/lender npx lethe migrate`,
  async run(args, io) {
    parseFlags('migrate', args, {});
    const cfg = loadConfig({ database: true });
    await migrateServer(cfg.databaseUrl!);
    io.out('lethe schema is up to date');
    return 0;
  },
};
