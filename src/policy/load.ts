// Policy files → resolved Policies, or one PolicyError listing every problem in every file,
// each at file:line:col, so an operator fixes them all in one pass.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { PolicyError, type PolicyProblem } from '../errors.ts';
import type { Policy } from './types.ts';
import { MAX_POLICY_ID_LENGTH, POLICY_ID, policySchema } from './schema.ts';
import { Locator } from './positions.ts';
import { issueProblems } from './problems.ts';
import { fileStem, resolvePolicy } from './resolve.ts';

/** Aliases a policy may expand: plenty for sharing a list, far too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;
const MAX_YAML_ERRORS = 10;

type Parsed = { policy: Policy } | { problems: PolicyProblem[] };

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function parse(text: string, file: string, version: string): Parsed {
  const lines = new LineCounter();
  // prettyErrors off: the message without its code excerpt; the position comes from lines.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lines, file, text.length);
  if (doc.errors.length > 0) {
    // One broken bracket can cascade into hundreds of errors (or one per level of a deep nest): the first few say it.
    const shown = doc.errors.slice(0, MAX_YAML_ERRORS).map((e) => ({ ...loc.at(e.pos[0]), message: `YAML: ${e.message}` }));
    const more = doc.errors.length - shown.length;
    if (more > 0) shown[shown.length - 1]!.message += ` (and ${more} more YAML errors after it)`;
    return { problems: shown };
  }
  if (!isMap(doc.contents)) {
    const what = doc.contents === null ? 'the file is empty' : 'the file is not a mapping';
    return { problems: [{ ...loc.top(), message: `${what}: a policy is a mapping of keys (id, title, source, trigger, retain, action…)` }] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml library refuses an alias bomb ("billion laughs") while expanding it.
    return { problems: [{ ...loc.top(), message: `YAML: ${(e as Error).message} (a policy may expand at most ${MAX_ALIAS_COUNT} aliases)` }] };
  }
  const problems = idProblems(data, file, loc);
  const shape = policySchema.safeParse(data);
  if (!shape.success) return { problems: [...problems, ...issueProblems(shape.error.issues, data, loc)] };
  if (problems.length > 0) return { problems };
  const resolved = resolvePolicy({ raw: shape.data, file, text, version, loc });
  return Array.isArray(resolved) ? { problems: resolved } : { policy: resolved };
}

/** Checked even when the rest is broken: a file named for another policy misleads everyone. */
function idProblems(data: unknown, file: string, loc: Locator): PolicyProblem[] {
  const id = (data as { id?: unknown }).id;
  const stem = fileStem(file);
  // An over-long id is the schema's problem to report, without quoting all of it back.
  if (typeof id !== 'string' || !POLICY_ID.test(id) || id.length > MAX_POLICY_ID_LENGTH || id === stem) return [];
  return [{ ...(loc.value(['id']) ?? loc.top()), message: `id "${id}" does not match the file name: rename the file to ${id}.yaml or set id: ${stem}` }];
}

/** One policy from its text; `file` names it in messages and must be `<id>.yaml`. */
export function parsePolicy(text: string, file: string): Policy {
  const r = parse(text, file, sha256(text));
  if ('problems' in r) throw new PolicyError(r.problems);
  return r.policy;
}

async function readPolicyFile(path: string): Promise<Parsed> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return { problems: [{ file: path, line: 1, col: 1, message: `cannot read the file: ${(e as Error).message}` }] };
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    // The version is the hash of the bytes, and lethe.policy_versions keeps the text: only UTF-8
    // reads back to the same bytes, so `evidence verify` can tie the two together.
    return { problems: [{ file: path, line: 1, col: 1, message: 'the file is not valid UTF-8: save it as UTF-8' }] };
  }
  return parse(text, path, sha256(bytes));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export async function loadPolicyFile(path: string): Promise<Policy> {
  const r = await readPolicyFile(path);
  if ('problems' in r) throw new PolicyError(r.problems);
  return r.policy;
}

/** Every `*.yaml` in `dir` (not recursive), sorted by name; other files are not policies. */
export async function loadPolicies(dir: string): Promise<Policy[]> {
  const here = (message: string): PolicyError => new PolicyError([{ file: dir, line: 1, col: 1, message }]);
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (e) {
    throw here(`cannot read the policy folder: ${(e as Error).message} (set LETHE_POLICIES or --policies)`);
  }
  const problems: PolicyProblem[] = [];
  const policies: Policy[] = [];
  for (const name of names.filter((n) => n.endsWith('.yml'))) {
    problems.push({ file: join(dir, name), line: 1, col: 1, message: `policy files end in .yaml: rename ${name} to ${name.slice(0, -4)}.yaml` });
  }
  const yamlNames = names.filter((n) => n.endsWith('.yaml'));
  if (yamlNames.length === 0 && problems.length === 0) {
    throw here('no policy files (*.yaml) in this folder: one file per policy, named <id>.yaml');
  }
  for (const name of yamlNames) {
    const r = await readPolicyFile(join(dir, name));
    if ('problems' in r) problems.push(...r.problems);
    else policies.push(r.policy);
  }
  problems.push(...duplicateIds(policies));
  if (problems.length > 0) throw new PolicyError(problems);
  return policies;
}

/** Ids must be unique: the second use of one is the problem, pointing at its `id`. */
export function duplicateIds(policies: readonly Policy[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const first = new Map<string, Policy>();
  for (const p of policies) {
    const earlier = first.get(p.id);
    if (earlier) {
      const pos = p.positions['id'] ?? { file: p.file, line: 1, col: 1 };
      problems.push({ ...pos, message: `id "${p.id}" is already used by ${earlier.file}` });
    } else {
      first.set(p.id, p);
    }
  }
  return problems;
}
