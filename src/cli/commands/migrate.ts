import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { migrateServer } from '../../db/migrate.ts';
import { printJson } from '../output.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or update the lethe schema (idempotent, safe from several processes)',
  help: `Usage: lethe migrate [--json]

Creates or updates the \`lethe\` schema in DATABASE_URL under an advisory lock: several
processes may run it at once; the others wait, then find nothing to do.

Examples:
  DATABASE_URL=postgres://lethe@db/lender npx lethe migrate
  npx lethe migrate --json`,
  async run(args, io) {
    const { flags } = parseFlags('migrate', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true });
    await migrateServer(cfg.databaseUrl!);
    if (flags.json) printJson(io, { ok: true, schema: 'lethe' });
    else io.out('lethe schema is up to date');
    return 0;
  },
};
