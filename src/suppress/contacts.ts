// One spelling per contact point, then a keyed hash of it. A campaign system, an SMS platform
// or an outbound call centre (外呼) that matches against the suppression list must arrive at
// the same text from whatever it holds: "+86 138-0013-8000", "008613800138000" and
// "13800138000" are one phone; "Wang.Li@QQ.com " and "wang.li@qq.com" one address.
//   phone: Unicode NFKC (full-width digits), separators dropped, then digits with the country
//          code and a leading +: a Chinese mobile (11 digits from 1) or a trunk-prefixed number
//          (0…) gets 86; 00 and + mean the country code is there. E.164: at most 15 digits.
//   email: NFKC, surrounding space dropped, lower case (the whole address, as the contract says).
// Anything else is refused, never guessed: a wrong guess would silently match no one.
import { hmacHex } from '../crypto/keys.ts';
import { UsageError } from '../errors.ts';
import type { ContactKind } from '../policy/schema.ts';

export type SuppressKind = 'subject' | ContactKind;

/** The country code a number without one is taken to belong to: the lender's own. */
export const HOME_COUNTRY_CODE = '86';
const MAX_E164_DIGITS = 15;
const MIN_DIGITS = 8;
const SEPARATORS = /[\s\-()./]/g;

/** `+8613800138000`, or a UsageError saying why the text is no phone number lethe can place. */
export function normalisePhone(value: string): string {
  const text = value.normalize('NFKC').replace(SEPARATORS, '');
  const m = /^(\+|00)?(\d+)$/.exec(text);
  if (!m) throw new UsageError('a phone number holds digits, spaces, -, (, ), . and a leading + or 00');
  let digits = m[2]!;
  if (m[1] === undefined) {
    if (/^1\d{10}$/.test(digits)) digits = `${HOME_COUNTRY_CODE}${digits}`;
    else if (/^0[1-9]\d+$/.test(digits)) digits = `${HOME_COUNTRY_CODE}${digits.slice(1)}`;
    else if (!digits.startsWith(HOME_COUNTRY_CODE) || digits.length !== 13) {
      throw new UsageError('a phone number without a country code must be a Chinese mobile (11 digits from 1) or carry its area code (0…); otherwise write it with + and the country code');
    }
  }
  if (digits.length < MIN_DIGITS || digits.length > MAX_E164_DIGITS) {
    throw new UsageError(`a phone number with its country code has ${MIN_DIGITS} to ${MAX_E164_DIGITS} digits`);
  }
  return `+${digits}`;
}

/** `wang.li@qq.com`, or a UsageError. */
export function normaliseEmail(value: string): string {
  const text = value.normalize('NFKC').trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) throw new UsageError('an e-mail address is local@domain, without spaces');
  return text;
}

export function normaliseContact(kind: ContactKind, value: string): string {
  return kind === 'phone' ? normalisePhone(value) : normaliseEmail(value);
}

/** What `--contact VALUE` is: an address when it has an @, otherwise a phone number. */
export function contactKindOfValue(value: string): ContactKind {
  return value.includes('@') || value.includes('＠') ? 'email' : 'phone';
}

/**
 * The keyed hash a suppression is stored and exported under: HMAC-SHA256(suppression key,
 * "kind:normalised"), hex. The kind keeps a phone number from matching a subject id.
 */
export function suppressionHash(key: Buffer, kind: SuppressKind, normalised: string): string {
  return hmacHex(key, `${kind}:${normalised}`);
}
