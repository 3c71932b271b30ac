// What an `anonymise` action leaves behind, said honestly. PIPL art. 73(4): anonymised (匿名化)
// information can identify no one and cannot be restored; lethe never achieves that for a
// record, because the record keeps its key and its subject column (resolve.ts refuses to
// anonymise them: holds, erasure requests and evidence reach the record through them). A
// record that also keeps part of a value — an ID-number prefix, a birth year, an income band —
// or a keyed hash is pseudonymised (去标识化, art. 73(3)): re-identifiable with other
// information. Evidence `fields`, the register and the policies doc say which, per policy.
import type { AnonymiseField, AnonymiseStrategy } from './types.ts';

export type DeidentificationResult = 'pseudonymised' | 'columns-removed';

/** The evidence `fields` key: not a plain identifier, so no anonymised column can have its name. */
export const DEIDENTIFICATION_KEY = 'de-identification';

/** What a strategy keeps of the value, or undefined when it keeps nothing. */
export function keeps(s: AnonymiseStrategy): string | undefined {
  switch (s.kind) {
    case 'keep_prefix': return s.keep > 0 ? `the first ${s.keep} characters` : undefined;
    case 'generalise': return `the ${s.to}`;
    case 'bucket': return `a band of ${s.size}`;
    case 'hmac': return 'a keyed hash (linkable across records)';
    default: return undefined;
  }
}

export function deidentificationOf(fields: readonly AnonymiseField[]): DeidentificationResult {
  return fields.some((f) => keeps(f.strategy) !== undefined) ? 'pseudonymised' : 'columns-removed';
}

/** One sentence for the policies doc: what stays, and why it is not anonymous. */
export function describeDeidentification(fields: readonly AnonymiseField[], subject: string): string {
  const kept = fields.flatMap((f) => { const k = keeps(f.strategy); return k ? [`${f.column}: ${k}`] : []; });
  const link = `the record keeps its key and its subject column ${subject}`;
  return kept.length > 0
    ? `pseudonymised (去标识化, PIPL art. 73(3)), not anonymised (art. 73(4)): it keeps ${kept.join('; ')}, and ${link}`
    : `the listed columns are removed, but ${link}: it still relates to an identifiable person, so it is not anonymised in the sense of PIPL art. 73(4)`;
}
