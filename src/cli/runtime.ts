// Builds what a command needs, in the order that fails safest: env, then policies, then the
// database and its catalog. Bad input stops here, before anything is destroyed.
import { userInfo } from 'node:os';
import { loadConfig, type Config, type ConfigNeeds } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import { openPostgres, type Database } from '../db/connect.ts';
import { deriveKeys } from '../crypto/keys.ts';
import { systemClock, type Clock } from '../clock.ts';
import { loadPoliciesWithOverrides } from '../policy/overrides.ts';
import { buildRuleset } from '../policy/ruleset.ts';
import { assertSchemaCurrent } from '../db/migrate.ts';
import { assertReachable } from '../db/reachable.ts';
import { ConfigError } from '../errors.ts';
import { operatorNameProblem } from '../operators/identity.ts';
import type { EngineContext, Ruleset } from '../engine.ts';
import { loadStoreRegistry } from '../objects/stores.ts';

export interface Runtime {
  config: Config;
  log: Logger;
  database: Database;
  ctx: EngineContext;
  close(): Promise<void>;
}

/** Who runs the command: LETHE_OPERATOR (checked by loadConfig), else the OS user, checked the same way. */
export function operatorName(config: Config): string {
  if (config.operator) return config.operator;
  const user = userInfo().username;
  const problem = operatorNameProblem(user);
  if (problem) throw new ConfigError(`LETHE_OPERATOR is not set and the OS user name ${problem}: set LETHE_OPERATOR to your name`);
  return user;
}

export function config(needs: ConfigNeeds): Config {
  return loadConfig(needs);
}

/** Opens the database named by DATABASE_URL and checks the lethe schema is the one we know. */
export async function openRuntime(cfg: Config, opts: { clock?: Clock; checkSchema?: boolean } = {}): Promise<Runtime> {
  const log = createLogger(cfg.logLevel, {}, { format: cfg.logFormat, timeZone: cfg.timeZone });
  const database = openPostgres(cfg.databaseUrl!, { maxConnections: cfg.concurrency + 3 });
  try {
    await assertReachable(database.db, cfg.databaseUrl!);
    if (opts.checkSchema !== false) await assertSchemaCurrent(database.db);
  } catch (e) {
    await database.close();
    throw e;
  }
  const ctx: EngineContext = { db: database.db, keys: deriveKeys(cfg.secret!), clock: opts.clock ?? systemClock, log };
  return { config: cfg, log, database, ctx, close: () => database.close() };
}

/** Opens the runtime for one command and always closes it. */
export async function withRuntime<T>(cfg: Config, fn: (rt: Runtime) => Promise<T>, opts: { clock?: Clock } = {}): Promise<T> {
  const rt = await openRuntime(cfg, opts);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Loads and checks the policies (files, then catalog); throws PolicyError on any problem. */
export async function loadRuleset(rt: Runtime, policiesDir: string): Promise<Ruleset> {
  const policies = await loadPoliciesWithOverrides(policiesDir, rt.config.policyOverrides);
  const { ruleset, warnings } = await buildRuleset(rt.database.db, policies, loadStoreRegistry(rt.config.storesFile));
  for (const w of warnings) rt.log.warn(`${w.file}:${w.line}:${w.col}: ${w.message}`);
  return ruleset;
}
