// `suppress: [phone, email]`: the contact columns of a marketing policy whose keyed hashes are
// kept after the subject refuses (src/suppress/). A column's kind decides how its values are
// normalised before hashing; a bare name says it when the name does (`phone`, `mobile_no`,
// `email`), otherwise the policy writes `{ column, kind }`.
import { normaliseName, PERSONAL_PATTERNS } from './coverage-patterns.ts';
import type { ContactKind } from './schema.ts';
import type { SuppressContact } from './types.ts';

type Entry = string | { column: string; kind: ContactKind };

const PATTERNS = PERSONAL_PATTERNS.filter((p): p is typeof p & { kind: ContactKind } => p.kind === 'phone' || p.kind === 'email');

/** The contact kind a column name says, when it says exactly one. */
export function contactKindOf(column: string): ContactKind | undefined {
  const name = normaliseName(column);
  const kinds = PATTERNS.filter((p) => p.name.test(name)).map((p) => p.kind);
  return kinds.length === 1 ? kinds[0] : undefined;
}

export type SuppressProblem = { index: number; message: string };

export function resolveSuppress(entries: readonly Entry[], reserved: { key: string; subject: string }): { contacts: SuppressContact[]; problems: SuppressProblem[] } {
  const contacts: SuppressContact[] = [];
  const problems: SuppressProblem[] = [];
  const seen = new Set<string>();
  entries.forEach((e, index) => {
    const column = typeof e === 'string' ? e : e.column;
    const kind = typeof e === 'string' ? contactKindOf(e) : e.kind;
    if (kind === undefined) {
      problems.push({ index, message: `suppress[${index}] ${column}: the name does not say whether it holds a phone number or an e-mail address; write { column: ${column}, kind: phone } or kind: email` });
    } else if (column === reserved.key || column === reserved.subject) {
      problems.push({ index, message: `suppress[${index}] ${column} is the source ${column === reserved.key ? 'key' : 'subject'} column: the subject is always suppressed; list contact columns only` });
    } else if (seen.has(column)) {
      problems.push({ index, message: `suppress[${index}] ${column} is listed twice` });
    } else {
      contacts.push({ column, kind });
    }
    seen.add(column);
  });
  return { contacts, problems };
}
