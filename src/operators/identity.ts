// Who is who, for four eyes. Operators name themselves (LETHE_OPERATOR), tokens carry names,
// executors and witnesses are typed in: one comparison for all of them, so `WANG.LI`,
// `operator:wang.li`, `token:Wang.Li` and a full-width `ｗａｎｇ.ｌｉ` are one person, and a name
// that only looks like another (a Cyrillic `а`, a zero-width space) is refused where it is given
// instead of slipping past a comparison.
import { UsageError } from '../errors.ts';

/** `operator:` (CLI actors) and `token:` (API actors) say how someone acted, not who they are. */
const ACTOR_PREFIX = /^(?:operator|token)\s*:\s*/i;

/**
 * Invisible or control characters: C0/C1 controls, format characters (zero-width space and
 * joiners, bidi overrides), default-ignorable code points, line and paragraph separators.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

/** Characters that belong to no one script (digits, punctuation, spaces) or inherit theirs (combining marks). */
const SCRIPTLESS = /[\p{Script=Common}\p{Script=Inherited}]/u;

const SCRIPTS = ['Latin', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Cyrillic', 'Greek', 'Armenian', 'Georgian',
  'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari', 'Bengali', 'Tamil', 'Telugu', 'Thai', 'Lao', 'Tibetan', 'Mongolian',
  'Cherokee', 'Ethiopic', 'Khmer', 'Myanmar', 'Sinhala', 'Yi', 'Tifinagh'] as const;
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);

/**
 * Script mixes a person's name may have (UTS #39 "highly restrictive"): one script, or Latin with
 * the scripts Chinese, Japanese and Korean are written in. Latin with Cyrillic or Greek is how a
 * look-alike of someone else's name is made.
 */
const ALLOWED_MIXES: readonly (readonly string[])[] = [
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Hangul'],
];

export const MAX_OPERATOR_NAME_LENGTH = 200;

function scriptOf(ch: string): string {
  return SCRIPT_RE.find(([, re]) => re.test(ch))?.[0] ?? `other(U+${ch.codePointAt(0)!.toString(16).toUpperCase()})`;
}

/** The scripts a name is written in, Common and Inherited characters aside. */
export function scriptsOf(name: string): Set<string> {
  const out = new Set<string>();
  for (const ch of name) if (!SCRIPTLESS.test(ch)) out.add(scriptOf(ch));
  return out;
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `name` cannot name a person, or undefined when it can. */
export function operatorNameProblem(name: string): string | undefined {
  const invisible = [...name].find((ch) => INVISIBLE.test(ch));
  if (invisible !== undefined) return `contains an invisible or control character (${codePoint(invisible)}); type the name with visible characters only`;
  const person = stripPrefixes(name.normalize('NFKC').trim());
  if (person === '') return 'must not be empty';
  if ([...person].length > MAX_OPERATOR_NAME_LENGTH) return `must be at most ${MAX_OPERATOR_NAME_LENGTH} characters`;
  const scripts = [...scriptsOf(person)];
  if (scripts.length > 1 && !ALLOWED_MIXES.some((mix) => scripts.every((s) => mix.includes(s)))) {
    return `mixes scripts (${scripts.join(' and ')}), as a look-alike of another name would; write it in one script`;
  }
  return undefined;
}

/**
 * The name as given (trimmed), or UsageError (exit 2, HTTP 400) naming where it was given
 * (`what`: `--witness`, `token name`…) and the problem.
 */
export function requireOperatorName(what: string, name: string): string {
  const problem = operatorNameProblem(name);
  if (problem) throw new UsageError(`${what} ${problem}`);
  return name.trim();
}

function stripPrefixes(s: string): string {
  let out = s;
  while (ACTOR_PREFIX.test(out)) out = out.replace(ACTOR_PREFIX, '');
  return out.trim();
}

/**
 * The comparison key of a person: NFKC, actor prefixes stripped, case folded (upper then lower,
 * so `ß` and `ss`, `ς` and `σ` fold together), NFKC again (folding can denormalise).
 */
export function operatorKey(actorOrName: string): string {
  const bare = stripPrefixes(actorOrName.normalize('NFKC').trim());
  return bare.toUpperCase().toLowerCase().normalize('NFKC');
}

/** Do two actors or names denote the same person? */
export function samePerson(a: string, b: string): boolean {
  return operatorKey(a) === operatorKey(b);
}
