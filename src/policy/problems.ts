// zod issues → operator sentences at file:line:col. The schema's own messages are tails; this
// prefixes what was written and where (`source.key "a--b" is not a plain identifier …`).
import type { z } from 'zod';
import type { PolicyProblem } from '../errors.ts';
import type { Locator, Path } from './positions.ts';

type Issue = z.core.$ZodIssue;

/** `children[0].table`: how an operator would name the place in the file. */
export function label(path: Path): string {
  return path.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg), '');
}

const MAX_SHOWN = 60;

/** The value as the operator wrote it, short. */
export function show(value: unknown): string {
  if (value === undefined) return '(nothing)';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function valueAt(data: unknown, path: Path): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'text';
  return `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = {
  string: 'text', number: 'a number', boolean: 'true or false', object: 'a mapping',
  array: 'a list', record: 'a mapping', null: 'null',
};

/** A union branch that failed only because the value had another type is not the one meant. */
function wrongTypeOnly(issues: readonly Issue[], value: unknown): boolean {
  const otherType = (i: Issue) =>
    i.code === 'invalid_type' || i.code === 'invalid_union' ||
    (i.code === 'invalid_value' && i.values.every((v) => typeof v !== typeof value || value === null));
  return issues.length > 0 && issues.every((i) => i.path.length === 0 && otherType(i));
}

export function issueProblems(issues: readonly Issue[], data: unknown, loc: Locator, base: Path = []): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const iss of issues) {
    const path = [...base, ...(iss.path as (string | number)[])];
    const name = label(path);
    const value = valueAt(data, path);
    const at = (p: ReturnType<Locator['value']>, message: string) =>
      out.push({ ...(p ?? loc.top()), message });
    switch (iss.code) {
      case 'unrecognized_keys':
        for (const k of iss.keys) {
          at(loc.key([...path, k]), `unknown key "${k}"${name ? ` in ${name}` : ''} (allowed: ${iss.message})`);
        }
        break;
      case 'invalid_type':
        if (value === undefined) at(loc.missing(path), `${name} is required`);
        else if (iss.expected === 'int') at(loc.value(path), `${name} ${show(value)} must be a whole number`);
        else at(loc.value(path), `${name} must be ${EXPECTED[iss.expected] ?? iss.expected}, not ${kindOf(value)} (${show(value)})`);
        break;
      case 'invalid_union': {
        // Pick the branch of the value's own type and report its issues; otherwise the union's tail.
        const meant = iss.errors.filter((e) => !wrongTypeOnly(e, value));
        if (meant.length === 1) out.push(...issueProblems(meant[0]!, data, loc, path));
        else at(loc.value(path), `${name} ${show(value)} ${iss.message}`);
        break;
      }
      case 'invalid_key': {
        const key = path[path.length - 1];
        const tail = iss.issues[0]?.message ?? iss.message;
        at(loc.key(path), `${label(path.slice(0, -1))} key ${show(key)} ${tail}`);
        break;
      }
      default:
        // A missing key whose schema has its own message (an enum listing what is allowed).
        if (value === undefined && iss.code === 'invalid_value') at(loc.missing(path), `${name} is required and ${iss.message}`);
        else at(loc.value(path), `${name} ${show(value)} ${iss.message}`);
    }
  }
  return out;
}
