// The shape of a policy file, as zod sees it. Messages here are tails: the loader prefixes the
// dotted path and the value written (`retain "30 days" is not an ISO 8601 duration (e.g. P30D)`)
// and turns type, missing-key and unknown-key issues into sentences of its own (problems.ts).
import { z } from 'zod';
import { MAX_DURATION_YEARS, parseDuration, withinMaxDuration } from '../duration.ts';

/** What PostgreSQL calls a plain identifier, lowercase only: nothing that would need quoting. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export const POLICY_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const MAX_POLICY_ID_LENGTH = 100;

export const NOT_IDENTIFIER =
  'is not a plain identifier (lowercase letters, digits and _, starting with a letter or _, at most 63 characters)';
export const NOT_TABLE =
  'is not a plain table name (table or schema.table; lowercase letters, digits and _, starting with a letter or _, at most 63 characters each)';
export const NOT_DURATION = 'is not an ISO 8601 duration (e.g. P30D)';
export const TOO_LONG_DURATION = `is longer than ${MAX_DURATION_YEARS} years`;

export function isTableName(s: string): boolean {
  const parts = s.split('.');
  return parts.length <= 2 && parts.every((p) => IDENTIFIER.test(p));
}

/**
 * A strict object whose unknown-key message is the list of allowed keys; problems.ts builds
 * one problem per unknown key (each at its own position) from it.
 */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined),
  });
}

const text = z.string().trim().min(1, 'must not be empty');
const identifier = z.string().regex(IDENTIFIER, NOT_IDENTIFIER);
const tableName = z.string().refine(isTableName, NOT_TABLE);
/** An ISO 8601 duration of at most MAX_DURATION_YEARS: policies, overrides and the partner registry. */
export const durationText = z.string().refine((s) => parseDuration(s) !== undefined, NOT_DURATION)
  .refine((s) => { const d = parseDuration(s); return d === undefined || withinMaxDuration(d); }, TOO_LONG_DURATION);
const duration = durationText;
const citations = z.array(text).min(1, 'must list at least one citation');

/** A mapping whose keys name columns; problems.ts reports a bad key at the key itself. */
function columnMap<V extends z.ZodType>(value: V, emptyMessage?: string) {
  const map = z.record(identifier, value);
  return emptyMessage ? map.refine((o) => Object.keys(o).length > 0, emptyMessage) : map;
}

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) =>
    iss.input === null ? 'is not a value: write { is_null: true } to match NULL' : 'must be a string, number or boolean',
});

const operator = strict({
  in: z.array(scalar).min(1, 'must list at least one value').optional(),
  not: scalar.optional(),
  is_null: z.boolean().optional(),
}).refine((o) => Object.keys(o).length === 1, 'must have exactly one of: in, not, is_null');

export const condition = z.union([scalar, operator], {
  error: (iss) =>
    iss.input === null
      ? 'is not a value: write { is_null: true } to match NULL'
      : 'must be a value (equals), { in: [...] }, { not: value } or { is_null: true|false }',
});

/** Row conditions, ANDed: a policy's `source.where`, an allow-list entry's `where`. */
export const whereMap = columnMap(condition);

const strategyObject = strict({
  keep_prefix: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  generalise: z.enum(['year', 'month'], { error: 'must be year or month' }).optional(),
  bucket: z.number().positive('must be greater than 0').optional(),
}).refine((o) => Object.keys(o).length === 1, 'must have exactly one of: keep_prefix, generalise, bucket');

const strategy = z.union([
  z.enum(['redact', 'hmac'], { error: 'is not a strategy (redact, null, hmac, { keep_prefix: n }, { generalise: year|month }, { bucket: n })' }),
  z.null(),
  strategyObject,
], { error: 'is not a strategy (redact, null, hmac, { keep_prefix: n }, { generalise: year|month }, { bucket: n })' });

const ACTION_ERROR = 'must be delete, manual or { anonymise: { column: strategy } }';
const action = z.union([
  z.enum(['delete', 'manual'], { error: ACTION_ERROR }),
  strict({ anonymise: columnMap(strategy, 'must name at least one column') }),
], { error: ACTION_ERROR });

/** How a medium is destroyed (JR/T 0171-2020 asks for a method fit for the medium). */
export const DESTRUCTION_METHODS = ['shred', 'degauss', 'overwrite-3', 'crush', 'incinerate'] as const;
export type DestructionMethod = (typeof DESTRUCTION_METHODS)[number];
const MEDIA_CLASS = /^[a-z][a-z0-9_-]{0,39}$/;

/** `action: manual`: the source table is a register of physical items (archive boxes, disks, tapes). */
const register = strict({
  location: identifier,
  media_class: identifier,
  methods: z.record(
    z.string().regex(MEDIA_CLASS, 'is not a media class name (lowercase letters, digits, _ and -, e.g. paper)'),
    z.enum(DESTRUCTION_METHODS, { error: `is not a destruction method (${DESTRUCTION_METHODS.join(', ')})` }),
  ).optional(),
});

/**
 * Who set a floor decides whether it binds an erasure request. PIPL art. 47: only a period set
 * by a law or an administrative regulation (法律、行政法规) keeps data the subject asked to have
 * erased (restricted until it ends); a regulator's rule or a period applied by analogy keeps
 * the data for the business, and yields to the subject's request.
 */
export const FLOOR_KINDS = ['law', 'regulator', 'analogy'] as const;
export type FloorKind = (typeof FLOOR_KINDS)[number];
const FLOOR_KIND_ERROR = 'must be law (a law or administrative regulation, 法律、行政法规: defers an erasure request), regulator (a regulator\'s rule) or analogy (a rule for something else, applied by analogy) — the last two yield to an erasure request';

/** The kinds of contact point a suppression list normalises: phones to digits with country code, e-mail lower-cased. */
export const CONTACT_KINDS = ['phone', 'email'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];
const suppressEntry = z.union([
  identifier,
  strict({ column: identifier, kind: z.enum(CONTACT_KINDS, { error: 'must be phone or email' }) }),
], { error: 'must be a column name or { column: name, kind: phone|email }' });

/** `objects:`: columns holding pointers to files in a store of the registry (src/objects/stores.ts). */
const objects = z.array(strict({
  column: identifier,
  store: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'is not a store id (kebab-case, as in stores.yaml)'),
})).min(1, 'must list at least one { column, store } (or leave objects out)');

export const policySchema = strict({
  id: z.string()
    .regex(POLICY_ID, 'is not kebab-case (lowercase letters and digits in words joined by single hyphens, e.g. rejected-loan-applications)')
    .max(MAX_POLICY_ID_LENGTH, `is longer than ${MAX_POLICY_ID_LENGTH} characters`),
  title: text,
  category: text,
  classification: z.enum(['C1', 'C2', 'C3'], { error: 'must be one of C1, C2, C3 (JR/T 0171-2020)' }),
  basis: citations,
  source: strict({
    table: tableName,
    key: identifier,
    subject: identifier,
    where: whereMap.optional(),
  }),
  trigger: strict({
    kind: z.enum(['expiry', 'consent_withdrawn'], { error: 'must be expiry or consent_withdrawn' }),
    from: identifier.optional(),
    consent: strict({
      table: tableName,
      subject: identifier,
      purpose_column: identifier,
      purpose: text,
      withdrawn_at: identifier,
    }).optional(),
  }),
  retain: duration,
  minimum: strict({
    period: duration,
    from: identifier,
    basis: citations,
    kind: z.enum(FLOOR_KINDS, { error: FLOOR_KIND_ERROR }),
    reason: text.optional(),
  }).optional(),
  maximum: strict({
    period: duration,
    basis: citations,
  }).optional(),
  action,
  children: z.array(strict({ table: tableName, key: identifier, foreign_key: identifier, objects: objects.optional() })).optional(),
  partners: z.literal('notify', { error: 'must be notify (or leave it out)' }).optional(),
  register: register.optional(),
  suppress: z.array(suppressEntry).min(1, 'must name at least one contact column').optional(),
  objects: objects.optional(),
  kept_while: z.array(strict({ table: tableName, subject: identifier })).min(1, 'must name at least one table').optional(),
});

export type RawPolicy = z.infer<typeof policySchema>;
export type RawCondition = z.infer<typeof condition>;
export type RawStrategy = z.infer<typeof strategy>;
