// Request bodies are parsed once, at the edge, with zod; a 400 names every field that is wrong.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from './errors.ts';
import { MAX_SUBJECT_LENGTH } from '../subjects/canonical.ts';

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

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An identifier as the caller's systems spell it: hashed as given, so stray spaces would miss. */
export const identifier = (max: number) => z.string({ error: requiredString })
  .min(1, 'must not be empty')
  .max(max, `must be at most ${max} characters`)
  .refine((s) => s === s.trim(), 'must not start or end with whitespace')
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/**
 * A subject id. Its spelling is the engine's to judge against the subject columns
 * (src/subjects/canonical.ts): a 400 from there names the one spelling to use.
 */
export const subjectId = z.string({ error: requiredString })
  .min(1, 'must not be empty')
  .max(MAX_SUBJECT_LENGTH, `must be at most ${MAX_SUBJECT_LENGTH} characters`);

/** Free text an operator writes (a hold's or purge's reason): one to `max` characters. */
export const reasonText = (max: number) => z.string({ error: requiredString }).trim()
  .min(1, 'must not be empty')
  .max(max, `must be at most ${max} characters`);

/**
 * Years PostgreSQL and every client agree on. JavaScript takes year 0 and ±275760; PostgreSQL
 * refuses year 0 and a timestamptz past 294276, so such an instant would be a 500, not a 400.
 */
export function inSaneRange(d: Date): boolean {
  const year = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && year >= 1 && year <= 9999;
}
const RANGE = 'must be between the years 0001 and 9999';

export const isoInstant = z.string({ error: requiredString }).pipe(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone (e.g. 2026-01-31T12:00:00Z)' }))
  .transform((s) => new Date(s))
  .refine(inSaneRange, RANGE);

/** A query parameter holding an ISO 8601 date or instant; absent → undefined, anything else wrong → 400. */
export function queryInstant(name: string, v: unknown): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(String(v));
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) {
    throw new HttpError(400, 'bad_request', `"${name}" must be an ISO 8601 date or time (e.g. 2026-01-31)`);
  }
  if (!inSaneRange(d)) throw new HttpError(400, 'bad_request', `"${name}" ${RANGE}`);
  return d;
}

/** PostgreSQL text cannot hold U+0000: refuse it at the edge, wherever it hides. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return at;
    const found = findNul(v, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** preValidation hook: a NUL character in a path parameter, query or body is a 400 naming where. */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  for (const [where, value] of [['path', request.params], ['query', request.query], ['body', request.body]] as const) {
    const at = findNul(value, '');
    if (at !== undefined) throw new HttpError(400, 'bad_request', `${where} ${at ? `"${at}" ` : ''}contains a NUL character (\\u0000), which lethe does not accept`);
  }
}

/** zod's error map sees the input (the final issue does not): tell a missing field from a wrong one. */
export function requiredString(issue: { input: unknown }): string {
  return issue.input === undefined ? 'is required' : 'must be a string';
}
