// The suppression list for the systems that contact people — campaign tools, SMS platforms,
// outbound call centres (外呼) — so they drop a refused contact before dialling or sending.
//
// How they match without lethe's secret: lethe keeps no contact values, only keyed hashes, so an
// export cannot be re-keyed per recipient (there is nothing to re-hash). The hashes are keyed
// with a key of their own instead, derived from LETHE_SECRET under its own label: the recipient
// is given that key (`lethe suppress key --out FILE`, handed over apart from the list), and
// hashes its own contacts the same way — the normalisation of contacts.ts, then
// HMAC-SHA256(key, "phone:+8613800138000") — to test them against the list. What the key opens
// is the list and nothing else: not LETHE_SECRET, not evidence or subject pseudonyms, not
// holds. What it cannot prevent: whoever holds list and key can test any phone number, and
// phone numbers are few enough to try them all — the export is pseudonymised personal
// information (PIPL art. 73(3)), handed over under the entrustment contract (art. 21).
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import { HOME_COUNTRY_CODE } from './contacts.ts';

export const SUPPRESSION_EXPORT_FORMAT = 'lethe-suppression-list/1';

/** Names the key without revealing it: the first 16 hex digits of its SHA-256. */
export function suppressionKeyId(keys: Keys): string {
  return createHash('sha256').update(keys.suppressKey).digest('hex').slice(0, 16);
}

export interface SuppressionExport {
  format: string;
  purpose: string;
  generated_at: string;
  key_id: string;
  hash: string;
  normalisation: Record<string, string>;
  entries: { kind: string; hash: string }[];
}

/** How to reproduce a hash: written into every export, for the recipient's developers. */
export const NORMALISATION = {
  phone: `Unicode NFKC; drop spaces, -, (, ), . and /; a leading + or 00 means the country code follows; otherwise an 11-digit number from 1 (a Chinese mobile) or a number with a leading 0 (trunk prefix, dropped) gets country code ${HOME_COUNTRY_CODE}; result: + and 8 to 15 digits, e.g. +8613800138000`,
  email: 'Unicode NFKC; drop surrounding whitespace; lower-case the whole address, e.g. wang.li@qq.com',
  subject: "the lender's subject id as its subject column prints it",
} as const;

/** The standing refusals of a purpose, one entry per distinct hash, in hash order. */
export async function exportSuppressions(db: Executor, keys: Keys, purpose: string, now: Date): Promise<SuppressionExport> {
  const entries = await rows<{ kind: string; hash: string }>(db, sql`SELECT DISTINCT kind, hash FROM lethe.suppressions
    WHERE purpose = ${purpose} AND lifted_at IS NULL ORDER BY hash, kind`);
  return {
    format: SUPPRESSION_EXPORT_FORMAT,
    purpose,
    generated_at: now.toISOString(),
    key_id: suppressionKeyId(keys),
    hash: 'hex(HMAC-SHA256(key, kind + ":" + normalised value)); kind is phone, email or subject',
    normalisation: NORMALISATION,
    entries,
  };
}

/** RFC 4180 CSV: kind,hash; the header comments carry what a recipient needs to match. */
export function suppressionCsv(e: SuppressionExport): string {
  const head = [`# ${e.format} purpose=${e.purpose} generated_at=${e.generated_at} key_id=${e.key_id}`, `# hash: ${e.hash}`,
    ...Object.entries(e.normalisation).map(([k, v]) => `# ${k}: ${v}`), 'kind,hash'];
  return `${[...head, ...e.entries.map((x) => `${x.kind},${x.hash}`)].join('\r\n')}\r\n`;
}
