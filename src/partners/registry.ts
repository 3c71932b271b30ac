// The partner registry (LETHE_PARTNERS, default ./partners.yaml at the project root — not in
// policies/, where every *.yaml is a policy): who received personal data from the lender, what
// they accepted to confirm within, and where their shared secret lives. YAML → zod → frozen
// PartnerRegistry, with problems at file:line:col like policy files.
import { isMap } from 'yaml';
import { z } from 'zod';
import { ConfigError, PolicyError, type PolicyProblem } from '../errors.ts';
import { partnerSecret } from '../config.ts';
import { durationMs, parseDuration, type Duration } from '../duration.ts';
import { durationText } from '../policy/schema.ts';
import { parseRegistryDocument, readRegistryText } from '../policy/registry-file.ts';
import { issueProblems } from '../policy/problems.ts';

export const PARTNER_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MIN_PARTNER_SECRET_BYTES = 32;
export const DEFAULT_MAX_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT = 'PT10S';
export const DEFAULT_MAX_ATTEMPTS = 10;
/** A partner that answers 4xx (other than 429) gets this many tries at most: it will not heal by itself. */
export const MAX_CLIENT_ERROR_ATTEMPTS = 3;

export interface Partner {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly status: 'active' | 'terminated';
  readonly terminatedAt: Date | null;
  readonly categories: readonly string[];
  /** The deadline the partner accepted for confirming a purge request, from its delivery. */
  readonly confirmWithin: Duration;
  readonly secretEnv: string;
  readonly maxConcurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface PartnerRegistry {
  readonly file: string;
  readonly partners: readonly Partner[];
  get(id: string): Partner | undefined;
}

const duration = durationText;
/** One HTTP request to a partner; also far below the 2^31 ms a Node timer can hold. */
const MAX_TIMEOUT_MS = 10 * 60_000;
const date = z.union([z.date(), z.string()]).refine((v) => !Number.isNaN(new Date(v).getTime()), 'is not a date (e.g. 2026-03-31)');

const partnerSchema = z.strictObject({
  id: z.string().regex(PARTNER_ID, 'must be kebab-case (lower-case letters, digits and -)'),
  name: z.string().min(1, 'must not be empty'),
  endpoint: z.string().refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL'),
  status: z.enum(['active', 'terminated'], { error: 'must be active or terminated' }),
  terminated_at: date.optional(),
  categories: z.array(z.string().min(1)).min(1, 'must name at least one data category'),
  confirm_within: duration,
  secret_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name (e.g. LETHE_PARTNER_ACME_SECRET)'),
  max_concurrency: z.number().int().min(1).max(64).default(DEFAULT_MAX_CONCURRENCY),
  timeout: duration.refine((v) => { const d = parseDuration(v); return d === undefined || durationMs(d) <= MAX_TIMEOUT_MS; },
    'must be at most PT10M: it bounds one HTTP request (Node cannot time longer: P30D would abort every call at once)').default(DEFAULT_TIMEOUT),
  max_attempts: z.number().int().min(1).max(50).default(DEFAULT_MAX_ATTEMPTS),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? 'id, name, endpoint, status, terminated_at, categories, confirm_within, secret_env, max_concurrency, timeout, max_attempts' : undefined) });

const registrySchema = z.strictObject({ partners: z.array(partnerSchema).default([]) },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'partners' : undefined) });

export function makeRegistry(file: string, partners: readonly Partner[]): PartnerRegistry {
  const byId = new Map(partners.map((p) => [p.id, p]));
  return Object.freeze({ file, partners, get: (id: string) => byId.get(id) });
}

/** Parses the registry text; `file` names it in messages. Throws PolicyError listing every problem. */
export function parsePartnerRegistry(text: string, file: string): PartnerRegistry {
  const { doc, loc } = parseRegistryDocument(text, file);
  if (doc.contents === null) return makeRegistry(file, []);
  if (!isMap(doc.contents)) throw new PolicyError([{ ...loc.top(), message: 'the partner registry is a mapping: { partners: [ { id, name, endpoint, … } ] }' }]);
  const data: unknown = doc.toJS();
  const shape = registrySchema.safeParse(data);
  if (!shape.success) throw new PolicyError(issueProblems(shape.error.issues, data, loc));
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  const partners = shape.data.partners.map((p, i): Partner => {
    const at = (key: string, message: string) => problems.push({ ...(loc.value(['partners', i, key]) ?? loc.value(['partners', i]) ?? loc.top()), message });
    if (seen.has(p.id)) at('id', `partner id "${p.id}" appears twice`);
    seen.add(p.id);
    if (p.status === 'terminated' && p.terminated_at === undefined) at('status', `partner ${p.id} is terminated: say when with terminated_at (e.g. terminated_at: 2026-03-31)`);
    if (p.status === 'active' && p.terminated_at !== undefined) at('terminated_at', `partner ${p.id} is active: terminated_at applies only to status: terminated`);
    return Object.freeze({
      id: p.id, name: p.name, endpoint: p.endpoint, status: p.status,
      terminatedAt: p.terminated_at === undefined ? null : new Date(p.terminated_at),
      categories: Object.freeze([...p.categories]), confirmWithin: parseDuration(p.confirm_within)!,
      secretEnv: p.secret_env, maxConcurrency: p.max_concurrency,
      timeoutMs: durationMs(parseDuration(p.timeout)!), maxAttempts: p.max_attempts,
    });
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return makeRegistry(file, partners);
}

/** Loads the registry; a missing file means no partners (a lender that shares nothing). */
export function loadPartnerRegistry(file: string): PartnerRegistry {
  const text = readRegistryText(file, 'the partner registry (LETHE_PARTNERS)');
  return text === undefined ? makeRegistry(file, []) : parsePartnerRegistry(text, file);
}

export type SecretLookup = (envName: string) => string | undefined;

/** The partner's shared secret; throws ConfigError naming the variable (never its value). */
export function secretOf(partner: Partner, lookup: SecretLookup = partnerSecret): string {
  const s = lookup(partner.secretEnv);
  if (s === undefined) throw new ConfigError(`${partner.secretEnv} is not set: it must hold partner ${partner.id}'s shared secret (partner registry)`);
  if (Buffer.byteLength(s, 'utf8') < MIN_PARTNER_SECRET_BYTES) {
    throw new ConfigError(`${partner.secretEnv} must be at least ${MIN_PARTNER_SECRET_BYTES} bytes (partner ${partner.id}'s shared secret)`);
  }
  return s;
}

/** Checks at start-up that every partner's secret is set, so a missing one stops the process, not a delivery. */
export function assertPartnerSecrets(registry: PartnerRegistry, lookup: SecretLookup = partnerSecret): void {
  for (const p of registry.partners) secretOf(p, lookup);
}
