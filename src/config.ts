// The only reader of process.env: env → zod → frozen Config, once, at the edge.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { MIN_EVIDENCE_RETAIN_DAYS, approximateDays, parseDuration, type Duration } from './duration.ts';
import { parseSigningKey, parseVerifyKey, type KeyObject } from './evidence/keys.ts';
import { hasHashTag, isClusterUrl } from './pipeline/redis.ts';
import { operatorNameProblem } from './operators/identity.ts';
import { DEFAULT_TIME_ZONE, isTimeZone } from './time.ts';

export const MIN_SECRET_BYTES = 32;
export const DEFAULT_BATCH_SIZE = 10_000;
export const MAX_BATCH_SIZE = 50_000;
export const DEFAULT_CONCURRENCY = 2;

export interface Config {
  readonly databaseUrl: string | undefined;
  /** DATABASE_URL was set for a command that never reads it (`demo`): it says so. */
  readonly databaseUrlIgnored: boolean;
  readonly redisUrl: string;
  readonly secret: string | undefined;
  readonly policiesDir: string;
  /** YAML file of per-deployment policy periods (src/policy/overrides.ts); none when unset. */
  readonly policyOverrides: string | undefined;
  readonly logLevel: string;
  /** `pretty`: one readable line per event; `json`: pino's lines. Default: pretty when stderr is a terminal. */
  readonly logFormat: 'json' | 'pretty' | undefined;
  /** IANA zone for times people read (tables, pages, the register); JSON and the API stay UTC. */
  readonly timeZone: string;
  readonly operator: string | undefined;
  /** BullMQ key prefix; tests give each file its own. */
  readonly queuePrefix: string;
  /** Records per purge batch (one transaction each). */
  readonly batchSize: number;
  /** Purge jobs one worker process runs at once. */
  readonly concurrency: number;
  /** How often the worker's job schedulers scan each policy. */
  readonly scanEvery: Duration;
  /** Working days an erasure request may take (PIPL art. 50 sets none; practice is 15). */
  readonly erasureDueDays: number;
  /** Ed25519 private key signing evidence exports; unset → exports are unsigned. */
  readonly exportSigningKey: KeyObject | undefined;
  /** Ed25519 public key checking signed exports offline; falls back to the signing key's. */
  readonly exportVerifyKey: KeyObject | undefined;
  /** How long a manual purge request waits for its second operator before it expires. */
  readonly purgeApprovalTtl: Duration;
  /** How long a paper/media destruction task may take from opening to confirmation before it is overdue. */
  readonly taskDue: Duration;
  /** How long lethe keeps its own evidence before pruning it (at least 3 years, PIPL art. 56). */
  readonly evidenceRetain: Duration;
  /** The partner registry (src/partners/registry.ts); absent file = no partners. */
  readonly partnersFile: string;
  /**
   * How often `lethe worker` checks PostgreSQL for open scans and batches whose jobs Redis lost
   * (re-enqueued once twice this old), puts back job schedulers Redis lost, and retries leading.
   */
  readonly reconcileEvery: Duration;
  /** How often the worker re-enqueues partner requests whose jobs went missing, and chases overdue ones. */
  readonly partnerSweepEvery: Duration;
  /** The object store registry (src/objects/stores.ts); absent file = no stores. */
  readonly storesFile: string;
  /**
   * A policy over a table range-partitioned on its clock drops wholly due partitions in one
   * transaction each (src/destroy/partitions/); false: their rows go by batch like any table's.
   */
  readonly dropPartitions: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const url = (schemes: string[]) =>
  z.string().refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);

const intIn = (min: number, max: number) =>
  z.string().regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

/** An ISO 8601 duration variable; `example` shows in the error and is the default if given. */
const isoDuration = (example: string) => z.string()
  .transform((v, ctx) => parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: `is not an ISO 8601 duration (e.g. ${example})` }), z.NEVER));

/** Days a Node timer can wait (2^31 - 1 ms); a longer setInterval fires every millisecond instead. */
const MAX_TIMER_DAYS = 24;

/** How often a process-local timer fires: more than zero, at most MAX_TIMER_DAYS. */
const timerInterval = (example: string) => isoDuration(example)
  .refine((d) => approximateDays(d) > 0 && approximateDays(d) <= MAX_TIMER_DAYS,
    `must be longer than zero and at most P${MAX_TIMER_DAYS}D (e.g. ${example})`);

const envSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  LETHE_SECRET: z.string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= MIN_SECRET_BYTES,
      `must be at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -hex 32\`)`)
    .optional(),
  LETHE_POLICIES: z.string().min(1, 'must not be empty').default('./policies'),
  LETHE_POLICY_OVERRIDES: z.string().min(1, 'must not be empty').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { message: 'must be json or pretty' }).optional(),
  LETHE_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Asia/Shanghai or UTC').default(DEFAULT_TIME_ZONE),
  // Four eyes compares operators as people (src/operators/identity.ts): a look-alike is refused here.
  LETHE_OPERATOR: z.string().trim().min(1, 'must not be empty')
    .superRefine((v, ctx) => {
      const problem = operatorNameProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  LETHE_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}:-]+$/, 'may hold letters, digits and _ { } : -').default('lethe'),
  LETHE_BATCH_SIZE: intIn(1, MAX_BATCH_SIZE).default(DEFAULT_BATCH_SIZE),
  LETHE_CONCURRENCY: intIn(1, 64).default(DEFAULT_CONCURRENCY),
  LETHE_ERASURE_DUE_DAYS: intIn(1, 60).default(15),
  LETHE_EVIDENCE_RETAIN: isoDuration('P3Y')
    .refine((d) => approximateDays(d) >= MIN_EVIDENCE_RETAIN_DAYS, 'must be at least P3Y (PIPL art. 56 keeps processing records at least 3 years)')
    .default(parseDuration('P3Y') as never),
  LETHE_PURGE_APPROVAL_TTL: isoDuration('PT24H')
    .default(parseDuration('PT24H') as never),
  LETHE_TASK_DUE: isoDuration('P30D')
    .default(parseDuration('P30D') as never),
  LETHE_SCAN_EVERY: timerInterval('PT15M')
    .default(parseDuration('PT15M') as never),
  LETHE_RECONCILE_EVERY: timerInterval('PT30S')
    .default(parseDuration('PT30S') as never),
  LETHE_PARTNERS: z.string().min(1, 'must not be empty').default('./partners.yaml'),
  LETHE_PARTNER_SWEEP_EVERY: timerInterval('PT30S')
    .default(parseDuration('PT30S') as never),
  LETHE_STORES: z.string().min(1, 'must not be empty').default('./stores.yaml'),
  LETHE_DROP_PARTITIONS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  // The message never echoes the value: it is a private key.
  LETHE_EXPORT_SIGNING_KEY: z.string()
    .transform((v, ctx) => parseSigningKey(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be an Ed25519 private key, PEM or base64 PKCS#8 DER (make one with `lethe evidence keygen`)' }), z.NEVER))
    .optional(),
  LETHE_EXPORT_VERIFY_KEY: z.string()
    .transform((v, ctx) => parseVerifyKey(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be an Ed25519 public key, PEM or base64 SPKI DER (make one with `lethe evidence keygen`)' }), z.NEVER))
    .optional(),
});

/** Every variable lethe reads (the README's configuration table documents each: test/readme.test.ts). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface ConfigNeeds {
  database?: boolean;
  secret?: boolean;
  /** The command must never touch a database it did not create (`demo`): DATABASE_URL is not even parsed. */
  ignoreDatabase?: boolean;
}

/**
 * Reads and validates the environment. Throws ConfigError with one line naming the variable
 * and what is wrong; the value of LETHE_SECRET never appears in a message.
 */
export function loadConfig(needs: ConfigNeeds = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && !(needs.ignoreDatabase && k === 'DATABASE_URL')));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  if (needs.database && !e.DATABASE_URL) {
    throw new ConfigError('DATABASE_URL is not set: it must name the PostgreSQL database that holds the business data (e.g. postgres://user@host:5432/lender)');
  }
  if (needs.secret && !e.LETHE_SECRET) {
    throw new ConfigError(`LETHE_SECRET is not set: it must be at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -hex 32\`)`);
  }
  if (isClusterUrl(e.REDIS_URL) && !hasHashTag(e.LETHE_QUEUE_PREFIX)) {
    throw new ConfigError('LETHE_QUEUE_PREFIX must hold a hash tag on a Redis Cluster (REDIS_URL has ?cluster=true), e.g. {lethe}: BullMQ needs all keys of a queue in one slot');
  }
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    databaseUrlIgnored: Boolean(needs.ignoreDatabase && env.DATABASE_URL),
    redisUrl: e.REDIS_URL,
    secret: e.LETHE_SECRET,
    policiesDir: e.LETHE_POLICIES,
    policyOverrides: e.LETHE_POLICY_OVERRIDES,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    timeZone: e.LETHE_TIMEZONE,
    operator: e.LETHE_OPERATOR,
    queuePrefix: e.LETHE_QUEUE_PREFIX,
    batchSize: e.LETHE_BATCH_SIZE,
    concurrency: e.LETHE_CONCURRENCY,
    scanEvery: e.LETHE_SCAN_EVERY,
    reconcileEvery: e.LETHE_RECONCILE_EVERY,
    erasureDueDays: e.LETHE_ERASURE_DUE_DAYS,
    exportSigningKey: e.LETHE_EXPORT_SIGNING_KEY,
    exportVerifyKey: e.LETHE_EXPORT_VERIFY_KEY,
    purgeApprovalTtl: e.LETHE_PURGE_APPROVAL_TTL,
    evidenceRetain: e.LETHE_EVIDENCE_RETAIN,
    taskDue: e.LETHE_TASK_DUE,
    partnersFile: e.LETHE_PARTNERS,
    partnerSweepEvery: e.LETHE_PARTNER_SWEEP_EVERY,
    storesFile: e.LETHE_STORES,
    dropPartitions: e.LETHE_DROP_PARTITIONS === 'true',
  });
}

/**
 * A partner's shared secret, from the variable the partner registry names (`secret_env`): read
 * here because only this file reads the environment. Undefined when unset or empty.
 */
export function partnerSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** An object store's credential, from the variable stores.yaml names; undefined when unset or empty. */
export const storeCredential = partnerSecret;

/**
 * The AWS SDK warns on stderr, once per process, that a future release needs Node 22: lethe's
 * stderr carries its own logs and that warning would read like one of lethe's problems.
 */
export function silenceSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
