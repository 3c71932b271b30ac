// The shape of a policy file, as zod sees it. Messages here are tails: the loader prefixes the
// dotted path and the value written (`retain "30 days" is not an ISO 8601 duration (e.g. P30D)`)
// and turns type, missing-key and unknown-key issues into sentences of its own (problems.ts).
import { z } from 'zod';
import { triggerShape } from './triggers/index.ts';
import { actionPolicyKeys, actionSchema } from '../destroy/actions/index.ts';
import { citations, columnMap, durationText, identifier, MAX_POLICY_ID_LENGTH, POLICY_ID, strict, tableName, text } from './schema-parts.ts';

export {
  IDENTIFIER, POLICY_ID, MAX_POLICY_ID_LENGTH, NOT_IDENTIFIER, NOT_TABLE, NOT_DURATION, TOO_LONG_DURATION, isTableName, durationText,
} from './schema-parts.ts';
const duration = durationText;

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

/** How a medium is destroyed: the manual action's (src/destroy/actions/manual.ts). */
export { DESTRUCTION_METHODS, type DestructionMethod } from '../destroy/actions/manual.ts';
export type { RawStrategy } from '../destroy/actions/anonymise.ts';

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
  // `kind` and each registered kind's keys (src/policy/triggers/): resolve says which go together.
  trigger: strict(triggerShape()),
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
  // One of the registered action kinds (src/destroy/actions/).
  action: actionSchema(),
  children: z.array(strict({ table: tableName, key: identifier, foreign_key: identifier, objects: objects.optional() })).optional(),
  partners: z.literal('notify', { error: 'must be notify (or leave it out)' }).optional(),
  // Keys an action kind adds beside `action:` (a manual register's `register:`).
  ...actionPolicyKeys(),
  suppress: z.array(suppressEntry).min(1, 'must name at least one contact column').optional(),
  objects: objects.optional(),
  kept_while: z.array(strict({ table: tableName, subject: identifier })).min(1, 'must name at least one table').optional(),
});

export type RawPolicy = z.infer<typeof policySchema>;
export type RawCondition = z.infer<typeof condition>;
