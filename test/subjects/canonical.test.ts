// How each subject column type reads a typed id: its own text is accepted, another spelling of
// the same value is refused with the one to use, and an id the type cannot hold matches nothing.
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { canonicalSubject, readSubject, subjectEquals, subjectType, type SubjectType } from '../../src/subjects/canonical.ts';
import { makeRuleset } from '../../src/engine.ts';
import { UsageError } from '../../src/errors.ts';
import type { Policy } from '../../src/policy/types.ts';

const type = (t: string): SubjectType => subjectType(t)!;

/** A ruleset whose policies' subject columns have these types: all canonicalSubject reads. */
function rulesOf(types: Record<string, string>) {
  const policies = Object.keys(types).map((id) => ({ id, source: { schema: 'public', table: id, key: 'id', subject: 'who' } }) as unknown as Policy);
  return makeRuleset(policies, {
    of: (t) => types[t.table]!,
    baseOf: (t) => types[t.table]!,
  });
}

describe('readSubject', () => {
  it('integers: the digits PostgreSQL prints, nothing else', () => {
    const big = type('bigint');
    expect(readSubject('100000894', big)).toEqual({ is: 'canonical' });
    expect(readSubject('-5', big)).toEqual({ is: 'canonical' });
    expect(readSubject('0', big)).toEqual({ is: 'canonical' });
    for (const spelling of ['0100000894', '+100000894', ' 100000894', '100000894 ', '１０００００８９４', '100000894.0', '+0100000894']) {
      expect(readSubject(spelling, big), spelling).toMatchObject({ is: 'respelt', canonical: '100000894' });
    }
    expect(readSubject('-0', big)).toMatchObject({ is: 'respelt', canonical: '0' });
    expect(readSubject(' 8', type('integer'))).toMatchObject({ is: 'respelt', canonical: '8' });
    for (const foreign of ['abc', '12.5', '1e3', '0x10', '9223372036854775808', '']) expect(readSubject(foreign, big).is, foreign).toBe('foreign');
    expect(readSubject('40000', type('smallint')).is).toBe('foreign');
    expect(readSubject('32767', type('smallint')).is).toBe('canonical');
  });

  it('numeric(p,s): exactly s decimals, as the column prints them', () => {
    const money = type('numeric(12,2)');
    expect(readSubject('1234.50', money)).toEqual({ is: 'canonical' });
    expect(readSubject('1234.5', money)).toMatchObject({ is: 'respelt', canonical: '1234.50' });
    expect(readSubject('01234.500', money)).toMatchObject({ is: 'respelt', canonical: '1234.50' });
    expect(readSubject('-0.00', money)).toMatchObject({ is: 'respelt', canonical: '0.00' });
    expect(readSubject('1234.505', money).is).toBe('foreign');
    expect(readSubject('12345678901.00', money).is).toBe('foreign');
    expect(readSubject('42', type('numeric(10,0)'))).toEqual({ is: 'canonical' });
    expect(readSubject('42.0', type('numeric(10,0)'))).toMatchObject({ is: 'respelt', canonical: '42' });
  });

  it('text: as stored, but not with surrounding space, invisible characters or in a width NFKC folds', () => {
    const text = type('character varying(8)');
    expect(readSubject('CUST-001', text)).toEqual({ is: 'canonical' });
    expect(readSubject('cust-001', text)).toEqual({ is: 'canonical' });
    expect(readSubject(' CUST-001', text)).toMatchObject({ is: 'respelt', canonical: 'CUST-001' });
    expect(readSubject('ＣＵＳＴ-001', text)).toMatchObject({ is: 'respelt', canonical: 'CUST-001' });
    expect(readSubject('CUST-0001', text).is).toBe('foreign');
    expect(readSubject('ab', type('character(4)'))).toEqual({ is: 'canonical' });
  });

  it('uuid: lower case with hyphens', () => {
    const u = type('uuid');
    expect(readSubject('0f8fad5b-d9cb-469f-a165-70867728950e', u)).toEqual({ is: 'canonical' });
    for (const s of ['0F8FAD5B-D9CB-469F-A165-70867728950E', '{0f8fad5b-d9cb-469f-a165-70867728950e}', '0f8fad5bd9cb469fa16570867728950e']) {
      expect(readSubject(s, u), s).toMatchObject({ is: 'respelt', canonical: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    }
    expect(readSubject('not-a-uuid', u).is).toBe('foreign');
  });

  it('types with no one spelling per value are not subject types', () => {
    for (const t of ['numeric', 'double precision', 'date', 'jsonb', 'citext', 'timestamp with time zone', '"char"']) expect(subjectType(t), t).toBeUndefined();
  });
});

describe('canonicalSubject', () => {
  it('refuses another spelling with the canonical form, whichever policy it misreads', () => {
    const rules = rulesOf({ apps: 'bigint', crm: 'text' });
    expect(canonicalSubject(rules, '100000894')).toBe('100000894');
    expect(() => canonicalSubject(rules, '0100000894')).toThrow(UsageError);
    expect(() => canonicalSubject(rules, '0100000894')).toThrow(/policy apps's subject column \(who, bigint\).*give it as 100000894/);
    // Canonical text for the text column; the bigint column cannot hold it: accepted, matches the text rows only.
    expect(canonicalSubject(rules, 'CUST-7')).toBe('CUST-7');
  });

  it('refuses an id no policy in scope can hold, and invisible characters anywhere', () => {
    const rules = rulesOf({ apps: 'bigint', crm: 'text' });
    expect(() => canonicalSubject(rules, 'CUST-7', ['apps'])).toThrow(/no loaded policy's subject column can hold/);
    expect(canonicalSubject(rules, 'CUST-7', ['crm'])).toBe('CUST-7');
    // A hold on one policy reads the id as that policy's column does.
    expect(canonicalSubject(rules, '0100', ['crm'])).toBe('0100');
    for (const s of ['100\u200b000894', '\u202e100000894', '100000894\u0000', '']) expect(() => canonicalSubject(rules, s), JSON.stringify(s)).toThrow(UsageError);
  });
});

describe('subjectEquals', () => {
  const dialect = new PgDialect();
  const render = (q: ReturnType<typeof sql>) => { const { sql: text, params } = dialect.sqlToQuery(q); return { sql: text, params }; };
  it('compares in the column type only for the canonical text; anything else matches nothing', () => {
    expect(render(subjectEquals(sql`t.who`, '42', 'bigint'))).toEqual({ sql: 't.who = $1::bigint', params: ['42'] });
    expect(render(subjectEquals(sql`t.who`, '042', 'bigint')).sql).toBe('false');
    expect(render(subjectEquals(sql`t.who`, 'abc', 'bigint')).sql).toBe('false');
    expect(render(subjectEquals(sql`t.who`, 'ab', 'character(4)'))).toEqual({ sql: 't.who = $1::bpchar', params: ['ab'] });
    expect(render(subjectEquals(sql`t.who`, '1.50', 'numeric(5,2)'))).toEqual({ sql: 't.who = $1::numeric(5,2)', params: ['1.50'] });
  });
});
