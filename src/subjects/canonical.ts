// One person, one spelling. A subject id an operator types is compared, hashed into a hold and
// matched against records as text — the text PostgreSQL prints for the subject column's value
// (`customer_id::text`). So an id is accepted only as that text: `0100000894`, `+100000894` or
// `１０００００８９４` would each hash to another pseudonym (a hold protecting nothing) while a
// cast would still find customer 100000894's records (an erasure destroying them). Such a
// spelling is refused with the one form the column prints; an id a column cannot hold at all
// (letters for a bigint) matches nothing there and is refused only if no policy can hold it.
import { sql, type SQL } from 'drizzle-orm';
import type { Ruleset } from '../engine.ts';
import type { Policy } from '../policy/types.ts';
import { UsageError } from '../errors.ts';

/** How lethe reads a subject column's type (the base type of a domain, with its modifiers). */
export type SubjectType =
  | { kind: 'integer'; name: string; min: bigint; max: bigint }
  | { kind: 'decimal'; name: string; precision: number; scale: number }
  | { kind: 'text'; name: string; maxLength: number | undefined; padded: boolean }
  | { kind: 'uuid'; name: 'uuid' };

/** The subject column types lethe can compare: `policies check --db` refuses any other. */
export const SUBJECT_TYPES_HELP = 'smallint, integer, bigint, numeric(p,s), text, varchar, char or uuid';

const INTEGERS: Record<string, bigint> = { smallint: 2n ** 15n, integer: 2n ** 31n, bigint: 2n ** 63n };

/** Parses what format_type prints; undefined for a type lethe cannot compare. */
export function subjectType(formatType: string): SubjectType | undefined {
  const bound = INTEGERS[formatType];
  if (bound !== undefined) return { kind: 'integer', name: formatType, min: -bound, max: bound - 1n };
  if (formatType === 'uuid') return { kind: 'uuid', name: 'uuid' };
  if (formatType === 'text' || formatType === 'character varying' || formatType === 'bpchar') {
    return { kind: 'text', name: formatType, maxLength: undefined, padded: formatType === 'bpchar' };
  }
  const bounded = /^(character varying|character)\((\d+)\)$/.exec(formatType);
  if (bounded) return { kind: 'text', name: formatType, maxLength: Number(bounded[2]), padded: bounded[1] === 'character' };
  // An unconstrained numeric prints 1.5 and 1.50 apart although they are equal: no one spelling.
  const decimal = /^numeric\((\d+)(?:,(\d+))?\)$/.exec(formatType);
  if (decimal) return { kind: 'decimal', name: formatType, precision: Number(decimal[1]), scale: Number(decimal[2] ?? 0) };
  return undefined;
}

/** What an id is for one subject column: its own text, another spelling of a value, or no value at all. */
export type Reading = { is: 'canonical' } | { is: 'respelt'; canonical: string; why: string } | { is: 'foreign'; why: string };

/** Full-width digits and signs become ASCII, surrounding space goes: how a person misspells a number. */
const loosen = (id: string) => id.normalize('NFKC').trim();

function readInteger(id: string, t: Extract<SubjectType, { kind: 'integer' }>): Reading {
  const m = /^([+-]?)(\d+)(?:\.0*)?$/.exec(loosen(id));
  if (!m) return { is: 'foreign', why: `${t.name} holds whole numbers` };
  const n = BigInt(`${m[1]}${m[2]}`);
  if (n < t.min || n > t.max) return { is: 'foreign', why: `${t.name} holds ${t.min} to ${t.max}` };
  const canonical = n.toString();
  return canonical === id ? { is: 'canonical' } : { is: 'respelt', canonical, why: `${t.name} writes whole numbers without sign, leading zeros or spaces` };
}

function readDecimal(id: string, t: Extract<SubjectType, { kind: 'decimal' }>): Reading {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(loosen(id));
  const whole = m?.[2] ?? '';
  const fraction = m?.[3] ?? '';
  if (!m || whole + fraction === '') return { is: 'foreign', why: `${t.name} holds decimal numbers` };
  // A value with more decimals than the scale is rounded on the way in: it is not in the column.
  if (/[1-9]/.test(fraction.slice(t.scale))) return { is: 'foreign', why: `${t.name} holds ${t.scale} decimal places` };
  const digits = whole.replace(/^0+(?=\d)/, '') || '0';
  if (digits.replace(/^0$/, '').length > t.precision - t.scale) return { is: 'foreign', why: `${t.name} holds at most ${t.precision - t.scale} digits before the point` };
  const decimals = fraction.slice(0, t.scale).padEnd(t.scale, '0');
  const zero = /^0*$/.test(digits + decimals);
  const canonical = `${m[1] === '-' && !zero ? '-' : ''}${digits}${t.scale > 0 ? `.${decimals}` : ''}`;
  return canonical === id ? { is: 'canonical' } : { is: 'respelt', canonical, why: `${t.name} writes its numbers with exactly ${t.scale} decimal places, without sign, leading zeros or spaces` };
}

function readText(id: string, t: Extract<SubjectType, { kind: 'text' }>): Reading {
  const canonical = loosen(id);
  if (t.maxLength !== undefined && [...canonical].length > t.maxLength) return { is: 'foreign', why: `${t.name} holds at most ${t.maxLength} characters` };
  return canonical === id ? { is: 'canonical' } : { is: 'respelt', canonical, why: 'lethe takes text ids in Unicode NFKC form without surrounding spaces' };
}

function readUuid(id: string): Reading {
  const hex = loosen(id).toLowerCase().replace(/^\{(.*)\}$/, '$1').replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return { is: 'foreign', why: 'uuid holds 32 hexadecimal digits' };
  const canonical = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return canonical === id ? { is: 'canonical' } : { is: 'respelt', canonical, why: 'uuid is written in lower case with hyphens' };
}

/** How a subject column of type `t` reads the id. */
export function readSubject(id: string, t: SubjectType): Reading {
  switch (t.kind) {
    case 'integer': return readInteger(id, t);
    case 'decimal': return readDecimal(id, t);
    case 'text': return readText(id, t);
    case 'uuid': return readUuid(id);
  }
}

/** Control, format (zero-width, bidi) and other invisible characters: in no one's id. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;
export const MAX_SUBJECT_LENGTH = 128;

function typeOf(rules: Ruleset, p: Policy): SubjectType {
  const base = rules.types.baseOf(p.source, p.source.subject);
  const t = subjectType(base);
  // The catalog check refuses such a policy: reaching here is a bug, and a bug must not match.
  if (!t) throw new UsageError(`policy ${p.id}: subject column ${p.source.subject} is ${base}; a subject column must be ${SUBJECT_TYPES_HELP}`);
  return t;
}

/**
 * The id, checked against the subject column of every policy in scope (`policyIds`, default
 * all loaded): returned as given when it is the text each column that can hold it prints, and
 * some column can. Otherwise UsageError (exit 2, HTTP 400) that names the canonical form.
 */
export function canonicalSubject(rules: Ruleset, id: string, policyIds?: readonly string[]): string {
  if (id === '') throw new UsageError('the subject id must not be empty');
  if ([...id].length > MAX_SUBJECT_LENGTH) throw new UsageError(`the subject id must be at most ${MAX_SUBJECT_LENGTH} characters`);
  const invisible = [...id].find((ch) => INVISIBLE.test(ch));
  if (invisible !== undefined) {
    throw new UsageError(`the subject id contains an invisible or control character (U+${invisible.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}); type it as the subject column holds it`);
  }
  const scope = rules.policies.filter((p) => !policyIds || policyIds.includes(p.id));
  const readings = scope.map((p) => {
    const t = typeOf(rules, p);
    return { p, t, r: readSubject(id, t) };
  });
  const respelt = readings.find((x) => x.r.is === 'respelt');
  if (respelt && respelt.r.is === 'respelt') {
    throw new UsageError(`the subject id is not written the way policy ${respelt.p.id}'s subject column (${respelt.p.source.subject}, ${respelt.t.name}) holds it: `
      + `${respelt.r.why}; give it as ${respelt.r.canonical}`);
  }
  if (readings.length > 0 && readings.every((x) => x.r.is === 'foreign')) {
    const why = [...new Set(readings.map((x) => (x.r.is === 'foreign' ? `${x.p.source.subject} (${x.r.why})` : '')))].join('; ');
    throw new UsageError(`no loaded policy's subject column can hold this subject id: ${why}`);
  }
  return id;
}

/**
 * The record's subject is the id — compared in the column's own type so its index serves. Only
 * the column's own text matches: another spelling (refused at the edge by canonicalSubject)
 * and an id the type cannot hold match nothing here, never a cast's look-alike.
 */
export function subjectEquals(column: SQL, id: string, baseType: string): SQL {
  const t = subjectType(baseType);
  if (!t || readSubject(id, t).is !== 'canonical') return sql`false`;
  if (t.kind === 'text') return t.padded ? sql`${column} = ${id}::bpchar` : sql`${column} = ${id}::text`;
  return sql`${column} = ${id}::${sql.raw(t.kind === 'uuid' ? 'uuid' : t.name)}`;
}
