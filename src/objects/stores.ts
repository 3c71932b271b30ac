// The object store registry (LETHE_STORES, default ./stores.yaml at the project root): where the
// files that records point to live, and the names of the variables holding the credentials.
// YAML → zod → frozen StoreRegistry, with problems at file:line:col like policy files. The
// contract writes it as a top-level list; `{ stores: [...] }` is read the same way.
import { isMap, isSeq } from 'yaml';
import { z } from 'zod';
import { ConfigError, PolicyError, type PolicyProblem } from '../errors.ts';
import { storeCredential } from '../config.ts';
import { parseRegistryDocument, readRegistryText } from '../policy/registry-file.ts';
import { issueProblems } from '../policy/problems.ts';

export const STORE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** S3's own bucket-name rule (3–63 lower-case letters, digits, dots and hyphens). */
export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const DEFAULT_MAX_CONCURRENCY = 8;
/** With the default 2 s doubling to an hour, about ten hours of outage before a file is given up. */
export const DEFAULT_MAX_ATTEMPTS = 20;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRY_BASE_MS = 2000;
/** The doubling of the retry delay stops here: an hour, as for partners. */
export const DEFAULT_RETRY_MAX_MS = 3_600_000;

export interface Store {
  readonly id: string;
  readonly kind: 's3';
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyEnv: string;
  readonly secretKeyEnv: string;
  readonly pathStyle: boolean;
  readonly versioned: boolean;
  /** Deletions in flight against this store at once, across every worker process. */
  readonly maxConcurrency: number;
  /** Attempts before an object is recorded `object_failed`. */
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** First retry delay after a failed attempt; doubles per attempt (with jitter), at most an hour. */
  readonly retryBaseMs: number;
  /** The longest wait between two attempts: the doubling stops there (unset: DEFAULT_RETRY_MAX_MS). */
  readonly retryMaxMs?: number;
}

export interface StoreRegistry {
  readonly file: string;
  readonly stores: readonly Store[];
  get(id: string): Store | undefined;
  /** Where credentials come from: the environment, unless the registry was made with its own (`lethe demo`). */
  readonly credentials?: CredentialLookup;
}

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name (e.g. FACE_S3_ACCESS_KEY), never the secret itself');

const storeSchema = z.strictObject({
  id: z.string().regex(STORE_ID, 'must be kebab-case (lower-case letters, digits and -)'),
  kind: z.literal('s3', { error: 's3 is the only kind (any S3-compatible endpoint: AWS S3, MinIO, Ceph RGW, OSS, COS, OBS)' }),
  endpoint: z.string().refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL'),
  region: z.string().min(1, 'must not be empty').default('us-east-1'),
  bucket: z.string().regex(BUCKET, 'is not an S3 bucket name (3–63 lower-case letters, digits, . and -)'),
  access_key_env: envName,
  secret_key_env: envName,
  path_style: z.boolean().default(true),
  versioned: z.boolean({ error: 'must be true or false: whether every version and delete marker must go' }),
  max_concurrency: z.number().int().min(1).max(64).default(DEFAULT_MAX_CONCURRENCY),
  max_attempts: z.number().int().min(1).max(50).default(DEFAULT_MAX_ATTEMPTS),
  timeout_ms: z.number().int().min(100).max(600_000).default(DEFAULT_TIMEOUT_MS),
  retry_base_ms: z.number().int().min(10).max(600_000).default(DEFAULT_RETRY_BASE_MS),
  retry_max_ms: z.number().int().min(10).max(86_400_000).default(DEFAULT_RETRY_MAX_MS),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? 'id, kind, endpoint, region, bucket, access_key_env, secret_key_env, path_style, versioned, max_concurrency, max_attempts, timeout_ms, retry_base_ms, retry_max_ms' : undefined) });

const listSchema = z.array(storeSchema);

export function makeStoreRegistry(file: string, stores: readonly Store[], credentials?: CredentialLookup): StoreRegistry {
  const byId = new Map(stores.map((s) => [s.id, s]));
  return Object.freeze({ file, stores, get: (id: string) => byId.get(id), ...(credentials ? { credentials } : {}) });
}

/** Parses the registry text; `file` names it in messages. Throws PolicyError listing every problem. */
export function parseStoreRegistry(text: string, file: string): StoreRegistry {
  const { doc, loc } = parseRegistryDocument(text, file);
  if (doc.contents === null) return makeStoreRegistry(file, []);
  const wrapped = isMap(doc.contents) && doc.contents.items.length === 1 && String((doc.contents.items[0]!.key as { value?: unknown })?.value) === 'stores';
  if (!isSeq(doc.contents) && !wrapped) {
    throw new PolicyError([{ ...loc.top(), message: 'the store registry is a list: - { id, kind: s3, endpoint, bucket, access_key_env, secret_key_env, versioned }' }]);
  }
  const data: unknown = doc.toJS();
  const list = wrapped ? (data as { stores: unknown }).stores : data;
  const base = wrapped ? ['stores'] : [];
  const shape = listSchema.safeParse(list ?? []);
  if (!shape.success) {
    throw new PolicyError(issueProblems(shape.error.issues.map((i) => ({ ...i, path: [...base, ...i.path] })), data, loc));
  }
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  const stores = shape.data.map((s, i): Store => {
    const at = (key: string, message: string) => problems.push({ ...(loc.value([...base, i, key]) ?? loc.value([...base, i]) ?? loc.top()), message });
    if (seen.has(s.id)) at('id', `store id "${s.id}" appears twice`);
    seen.add(s.id);
    if (s.access_key_env === s.secret_key_env) at('secret_key_env', `store ${s.id}: access_key_env and secret_key_env name the same variable`);
    return Object.freeze({
      id: s.id, kind: s.kind, endpoint: s.endpoint, region: s.region, bucket: s.bucket,
      accessKeyEnv: s.access_key_env, secretKeyEnv: s.secret_key_env, pathStyle: s.path_style, versioned: s.versioned,
      maxConcurrency: s.max_concurrency, maxAttempts: s.max_attempts, timeoutMs: s.timeout_ms, retryBaseMs: s.retry_base_ms, retryMaxMs: s.retry_max_ms,
    });
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return makeStoreRegistry(file, stores);
}

/** Loads the registry; a missing file means no stores (records point at no files). */
export function loadStoreRegistry(file: string): StoreRegistry {
  const text = readRegistryText(file, 'the store registry (LETHE_STORES)');
  return text === undefined ? makeStoreRegistry(file, []) : parseStoreRegistry(text, file);
}

export type CredentialLookup = (envName: string) => string | undefined;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The store's credentials; throws ConfigError naming the variable (never its value). */
export function credentialsOf(store: Store, lookup: CredentialLookup = storeCredential): Credentials {
  const read = (name: string, what: string) => {
    const v = lookup(name);
    if (v === undefined) throw new ConfigError(`${name} is not set: it must hold object store ${store.id}'s ${what} (store registry)`);
    return v;
  };
  return { accessKeyId: read(store.accessKeyEnv, 'access key'), secretAccessKey: read(store.secretKeyEnv, 'secret key') };
}

/** At start-up: every store's variables are set, so a missing one stops the process, not a deletion. */
export function assertStoreCredentials(registry: StoreRegistry, lookup: CredentialLookup = registry.credentials ?? storeCredential): void {
  for (const s of registry.stores) credentialsOf(s, lookup);
}
