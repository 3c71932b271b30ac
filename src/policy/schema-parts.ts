// The building blocks of policy-file shapes, shared by the policy schema (schema.ts) and the
// action and trigger modules that contribute their own fragments to it.
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
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined),
  });
}

export const text = z.string().trim().min(1, 'must not be empty');
export const identifier = z.string().regex(IDENTIFIER, NOT_IDENTIFIER);
export const tableName = z.string().refine(isTableName, NOT_TABLE);
/** An ISO 8601 duration of at most MAX_DURATION_YEARS: policies, overrides and the partner registry. */
export const durationText = z.string().refine((s) => parseDuration(s) !== undefined, NOT_DURATION)
  .refine((s) => { const d = parseDuration(s); return d === undefined || withinMaxDuration(d); }, TOO_LONG_DURATION);
export const citations = z.array(text).min(1, 'must list at least one citation');

/** A mapping whose keys name columns; problems.ts reports a bad key at the key itself. */
export function columnMap<V extends z.ZodType>(value: V, emptyMessage?: string) {
  const map = z.record(identifier, value);
  return emptyMessage ? map.refine((o) => Object.keys(o).length > 0, emptyMessage) : map;
}
