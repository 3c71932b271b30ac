// One spelling per contact point: what a campaign system holds and what lethe hashed must meet.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { contactKindOfValue, normaliseEmail, normalisePhone, suppressionHash } from '../../src/suppress/contacts.ts';
import { UsageError } from '../../src/errors.ts';

describe('contact normalisation', () => {
  it.each([
    ['13800138000', '+8613800138000'], ['+86 138 0013 8000', '+8613800138000'], ['008613800138000', '+8613800138000'],
    ['8613800138000', '+8613800138000'], ['(138) 0013-8000', '+8613800138000'], ['１３８００１３８０００', '+8613800138000'],
    ['010-8765-4321', '+861087654321'], ['+1 (415) 555-0100', '+14155550100'], ['+852 2345 6789', '+85223456789'],
  ])('phone %s is %s', (given, expected) => expect(normalisePhone(given)).toBe(expected));

  it.each(['12345', '2345 6789', 'call me', '+86', '+1234567890123456', '138 0013 8000 ext. 5'])('refuses %j, never guesses', (v) => {
    expect(() => normalisePhone(v)).toThrow(UsageError);
  });

  it('e-mail: case, width and surrounding space do not matter; a non-address is refused', () => {
    for (const v of ['Wang.Li@QQ.com', ' wang.li@qq.com\t', 'WANG.LI@QQ.COM', 'ｗａｎｇ.ｌｉ＠ｑｑ.ｃｏｍ']) expect(normaliseEmail(v)).toBe('wang.li@qq.com');
    for (const v of ['wang.li', 'wang li@qq.com', '@qq.com', 'a@b']) expect(() => normaliseEmail(v)).toThrow(UsageError);
    expect(contactKindOfValue('a＠b.cn')).toBe('email');
    expect(contactKindOfValue('138 0013 8000')).toBe('phone');
  });

  it('any mix of separators and a 0086/+86 prefix around a Chinese mobile number gives the same hash', () => {
    const key = Buffer.alloc(32, 7);
    const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);
    const sep = fc.constantFrom('', ' ', '-', '.', ' - ');
    fc.assert(fc.property(mobile, fc.constantFrom('', '+86', '0086', '86', '+86 '), sep, (m, prefix, s) => {
      const spelt = `${prefix}${m.slice(0, 3)}${s}${m.slice(3, 7)}${s}${m.slice(7)}`;
      expect(suppressionHash(key, 'phone', normalisePhone(spelt))).toBe(suppressionHash(key, 'phone', `+86${m}`));
    }));
    // A phone number and a subject id with the same digits are different entries.
    expect(suppressionHash(key, 'phone', '+8613800138000')).not.toBe(suppressionHash(key, 'subject', '+8613800138000'));
  });
});
