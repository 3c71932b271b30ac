// Request bodies are parsed once, at the edge, with zod; a 400 names every field that is wrong.
import { z } from 'zod';
import { HttpError } from './errors.ts';

/** Parses `input` or throws a 400 whose message names each offending field. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new HttpError(400, 'invalid_body', 'request body must be a JSON object');
  }
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new HttpError(400, 'invalid_body', r.error.issues.map(describeIssue).join('; '));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `"${field}" ${issue.message}`;
}

/** An identifier as the caller's systems spell it: hashed as given, so stray spaces would miss. */
export const identifier = (max: number) => z.string({ error: requiredString })
  .min(1, 'must not be empty')
  .max(max, `must be at most ${max} characters`)
  .refine((s) => s === s.trim(), 'must not start or end with whitespace');

export const isoInstant = z.string({ error: requiredString }).pipe(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone (e.g. 2026-01-31T12:00:00Z)' }))
  .transform((s) => new Date(s));

/** zod's error map sees the input (the final issue does not): tell a missing field from a wrong one. */
export function requiredString(issue: { input: unknown }): string {
  return issue.input === undefined ? 'is required' : 'must be a string';
}
