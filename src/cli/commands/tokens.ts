import type { Command } from './index.ts';
import { parseFlags, requireString } from '../args.ts';
import { loadConfig, type Config } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { operatorName } from '../runtime.ts';
import { openPostgres, type Db } from '../../db/connect.ts';
import { assertSchemaCurrent } from '../../db/migrate.ts';
import { assertReachable } from '../../db/reachable.ts';
import { ROLES, createToken, listTokens, revokeToken } from '../../tokens/tokens.ts';
import { printJson, table } from '../output.ts';
import { localTime } from '../../time.ts';

const ROLE_HELP = `Roles:
  viewer    reads erasure requests, plans, holds
  operator  submits erasure requests and consent events, places holds, requests purges
  approver  approves purge requests made by someone else
  auditor   reads everything, exports evidence`;

export const tokensCreateCommand: Command = {
  help: `Usage: lethe tokens create --name NAME --role viewer|operator|approver|auditor [--json]

Creates an API token and prints it once: only its hash is stored, so store it now (e.g. in
your secret manager). Mutations made with it are recorded as the actor token:NAME. Needs
DATABASE_URL.

${ROLE_HELP}

Examples:
  npx lethe tokens create --name crm-consent-feed --role operator
  npx lethe tokens create --name audit-2026 --role auditor --json`,
  async run(args, io) {
    const { flags } = parseFlags('tokens create', args, { name: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' } });
    const name = requireString('tokens create', flags, 'name');
    const role = requireString('tokens create', flags, 'role');
    if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`lethe tokens create: --role "${role}" is not one of ${ROLES.join(', ')}`);
    const cfg = loadConfig({ database: true });
    return withDatabase(cfg, async (db) => {
      const { id, token } = await createToken(db, { name, role, actor: `operator:${operatorName(cfg)}` });
      if (flags.json) printJson(io, { id, name, role, token });
      else io.out(`token ${id} (${name}, ${role}):\n\n  ${token}\n`);
      io.err('lethe tokens create: store this token now; it is shown only once and cannot be recovered (revoke and create a new one if lost)');
      return 0;
    });
  },
};

export const tokensListCommand: Command = {
  help: `Usage: lethe tokens list [--json]

Lists every API token, revoked ones included (they explain older token:NAME actors).

Examples:
  npx lethe tokens list`,
  async run(args, io) {
    const { flags } = parseFlags('tokens list', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true });
    return withDatabase(cfg, async (db) => {
      const tokens = await listTokens(db);
      if (flags.json) printJson(io, { tokens });
      else if (tokens.length === 0) io.out('no API tokens (create one with `lethe tokens create`)');
      else io.out(table(['id', 'name', 'role', 'created', 'created_by', 'revoked'],
        tokens.map((t) => [t.id, t.name, t.role, localTime(t.created_at, cfg.timeZone), t.created_by, t.revoked_at ? localTime(t.revoked_at, cfg.timeZone) : ''])));
      return 0;
    });
  },
};

export const tokensRevokeCommand: Command = {
  help: `Usage: lethe tokens revoke TOKEN_ID [--json]

Revokes an API token: requests with it, and dashboard sessions opened with it, are refused at
once. The token stays listed, so older token:NAME actors keep their meaning.

Examples:
  npx lethe tokens revoke tok-3f9a1c2b7d4e`,
  async run(args, io) {
    const { flags, positionals } = parseFlags('tokens revoke', args, { json: { type: 'boolean' } }, 1);
    const id = positionals[0];
    if (!id) throw new UsageError('lethe tokens revoke: TOKEN_ID is required (see `lethe tokens list`)');
    const cfg = loadConfig({ database: true });
    return withDatabase(cfg, async (db) => {
      const t = await revokeToken(db, id);
      if (flags.json) printJson(io, { token: t });
      else io.out(`token ${t.id} (${t.name}, ${t.role}) revoked`);
      return 0;
    });
  },
};

/** Tokens need only the database: unlike withRuntime, no LETHE_SECRET (nothing is pseudonymised). */
async function withDatabase<T>(cfg: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const database = openPostgres(cfg.databaseUrl!, { maxConnections: 2 });
  try {
    await assertReachable(database.db, cfg.databaseUrl!);
    await assertSchemaCurrent(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
  }
}
