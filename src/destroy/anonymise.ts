// Field-by-field anonymisation. Each strategy has a SET expression and a "pending" predicate:
// a row is pending when the expression would still change it. Re-running is therefore a no-op
// by construction: an anonymised row is never selected again and gets no second evidence row.
import { sql, type SQL } from 'drizzle-orm';
import type { AnonymiseField, AnonymiseStrategy } from '../policy/types.ts';
import { DEIDENTIFICATION_KEY, deidentificationOf } from '../policy/deidentification.ts';
import { hmacHex, type Keys } from '../crypto/keys.ts';

export const REDACTION_MASK = '***';
/** What an `hmac` value looks like once written: 64 lowercase hex digits. */
export const PSEUDONYM_PATTERN = '^[0-9a-f]{64}$';
export const PSEUDONYM_LENGTH = 64;

const c = (column: string): SQL => sql`t.${sql.identifier(column)}`;

/** The new value, computed in SQL; an `hmac` value is computed by lethe and joined in as `pseudonym`. */
export function anonymisedValue(column: string, s: AnonymiseStrategy, type: string, pseudonym: SQL): SQL {
  const x = c(column);
  switch (s.kind) {
    case 'redact':
      return sql`CASE WHEN ${x} IS NULL THEN NULL ELSE ${REDACTION_MASK} END`;
    case 'null':
      return sql`NULL`;
    case 'keep_prefix':
      return sql`left(${x}, ${s.keep}::int) || repeat('*', greatest(char_length(${x}) - ${s.keep}::int, 0))`;
    case 'generalise':
      return sql`date_trunc(${s.to}, ${x})::${sql.raw(type)}`;
    case 'bucket':
      return sql`(floor(${x}::numeric / ${s.size}::numeric) * ${s.size}::numeric)::${sql.raw(type)}`;
    case 'hmac':
      return pseudonym;
  }
}

function pendingOne(f: AnonymiseField): SQL {
  const x = c(f.column);
  const s = f.strategy;
  switch (s.kind) {
    case 'redact':
      return sql`${x} <> ${REDACTION_MASK}`;
    case 'null':
      return sql`${x} IS NOT NULL`;
    case 'keep_prefix':
      return sql`${x} <> left(${x}, ${s.keep}::int) || repeat('*', greatest(char_length(${x}) - ${s.keep}::int, 0))`;
    case 'generalise':
      return sql`${x} <> date_trunc(${s.to}, ${x})`;
    case 'bucket':
      return sql`${x}::numeric <> floor(${x}::numeric / ${s.size}::numeric) * ${s.size}::numeric`;
    case 'hmac':
      return sql`${x} !~ ${PSEUDONYM_PATTERN}`;
  }
}

/** True when any anonymised column still holds an original value (NULLs are done). */
export function anonymisePending(fields: AnonymiseField[]): SQL {
  return sql`(${sql.join(fields.map((f) => sql`COALESCE(${pendingOne(f)}, false)`), sql` OR `)})`;
}

/** Evidence `fields`: which columns changed and how, and what that leaves (PIPL art. 73); never a value. */
export function describeStrategies(fields: AnonymiseField[]): Record<string, string> {
  return { ...Object.fromEntries(fields.map((f) => [f.column, strategyLabel(f.strategy)])), [DEIDENTIFICATION_KEY]: deidentificationOf(fields) };
}

export function strategyLabel(s: AnonymiseStrategy): string {
  switch (s.kind) {
    case 'keep_prefix': return `keep_prefix:${s.keep}`;
    case 'generalise': return `generalise:${s.to}`;
    case 'bucket': return `bucket:${s.size}`;
    // A keyed pseudonym is NOT anonymous (PIPL art. 73(4)): the evidence says so.
    case 'hmac': return 'hmac:pseudonymous';
    default: return s.kind;
  }
}

/** Keyed pseudonym of a value (`hmac`): the same value gives the same pseudonym, so joins survive. */
export function pseudonym(keys: Keys, value: string): string {
  return hmacHex(keys.refKey, `value:${value}`);
}
