import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { migrateServer } from '../../db/migrate.ts';
import { printJson } from '../output.ts';
import { redactUrl } from '../../redact.ts';

const where = (url: string): string => redactUrl(url).replace(/^postgres(ql)?:\/\//, '');

export const migrateCommand: Command = {
  help: `Usage: lethe migrate [--json]

Creates or updates the \`lethe\` schema in DATABASE_URL under an advisory lock: several
processes may run it at once; the others wait, then find nothing to do. Says what it did:
created the schema, applied N new migrations, or nothing (up to date).

Examples:
  DATABASE_URL=postgres://lethe@db/lender npx lethe migrate
  npx lethe migrate --json`,
  async run(args, io) {
    const { flags } = parseFlags('migrate', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true });
    const r = await migrateServer(cfg.databaseUrl!);
    if (flags.json) printJson(io, { ok: true, schema: 'lethe', created: r.created, applied: r.applied, migrations: r.total, latest: r.latest });
    else if (r.created) io.out(`created the lethe schema in ${where(cfg.databaseUrl!)}: ${r.applied} migrations applied (latest ${r.latest})`);
    else if (r.applied > 0) io.out(`upgraded the lethe schema in ${where(cfg.databaseUrl!)}: ${r.applied} new migration${r.applied === 1 ? '' : 's'} applied, ${r.total} in all (latest ${r.latest})`);
    else io.out(`the lethe schema in ${where(cfg.databaseUrl!)} is up to date (${r.total} migrations, latest ${r.latest}); nothing to do`);
    return 0;
  },
};
