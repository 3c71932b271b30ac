// Policy parsing on open-ended input: any valid policy round-trips; any broken one is refused
// with problems that point inside the file, at the line that holds the mistake.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parsePolicy } from '../../src/policy/load.ts';
import { PolicyError } from '../../src/errors.ts';
import { subtractDuration } from '../../src/duration.ts';
import type { Policy } from '../../src/policy/types.ts';
import { FUZZ_RUNS, SQL_PAYLOADS, hostileString } from '../fixtures/hostile.ts';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const identifier = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
const tableName = fc.oneof(identifier, fc.tuple(identifier, identifier).map(([s, t]) => `${s}.${t}`));
const policyId = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join('-'));
const text = fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.trim()).filter((s) => s.length > 0);
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean());
const condition = fc.oneof(
  scalar,
  fc.record({ in: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
  fc.record({ not: scalar }),
  fc.record({ is_null: fc.boolean() }),
);
const duration = fc
  .record({ Y: fc.nat(20), M: fc.nat(24), W: fc.nat(10), D: fc.nat(400), H: fc.nat(48) }, { requiredKeys: [] })
  .filter((d) => Object.keys(d).length > 0)
  .map((d) => {
    const date = (['Y', 'M', 'W', 'D'] as const).filter((k) => d[k] !== undefined).map((k) => `${d[k]}${k}`).join('');
    return `P${date}${d.H !== undefined ? `T${d.H}H` : ''}`;
  });
const strategy = fc.oneof(
  fc.constantFrom('redact', 'hmac', null),
  fc.record({ keep_prefix: fc.nat(20) }),
  fc.record({ generalise: fc.constantFrom('year', 'month') }),
  fc.record({ bucket: fc.integer({ min: 1, max: 1_000_000 }) }),
);
const trigger = fc.oneof(
  fc.record({ kind: fc.constant('expiry'), from: identifier }),
  fc.record({ kind: fc.constant('consent_withdrawn'), consent: fc.record({
    table: tableName, subject: identifier, purpose_column: identifier, purpose: text, withdrawn_at: identifier }) }),
);

const policy = fc
  .record({
    id: policyId,
    title: text,
    category: text,
    classification: fc.constantFrom('C1', 'C2', 'C3'),
    basis: fc.array(text, { minLength: 1, maxLength: 3 }),
    source: fc.record({
      table: tableName,
      key: fc.constant('pk'),
      subject: fc.constant('subject_id'),
      where: fc.dictionary(identifier, condition, { maxKeys: 3 }),
    }),
    trigger,
    retain: duration,
    action: fc.oneof(fc.constant('delete'), fc.record({ anonymise: fc.dictionary(identifier, strategy, { minKeys: 1, maxKeys: 4 }) })),
    children: fc.array(fc.record({ table: tableName, key: identifier, foreign_key: identifier }), { maxLength: 3 }),
    partners: fc.constantFrom('notify', undefined),
  })
  // Anonymising the key or subject is refused on purpose (tested in load.test.ts).
  .map((p) => {
    if (typeof p.action === 'object') { delete p.action.anonymise['pk']; delete p.action.anonymise['subject_id']; }
    if (p.partners === undefined) delete (p as { partners?: string }).partners;
    const seen = new Set<string>();
    p.children = p.children.filter((c) => {
      const q = c.table.includes('.') ? c.table : `public.${c.table}`;
      return !seen.has(q) && seen.add(q);
    });
    return p;
  })
  .filter((p) => typeof p.action === 'string' || Object.keys(p.action.anonymise).length > 0);

const render = (p: unknown) => stringify(p, { lineWidth: 0 });

describe('parsePolicy on generated policies', () => {
  it('parses every valid policy and keeps what it says', () => {
    fc.assert(fc.property(policy, (g) => {
      const p = parsePolicy(render(g), `policies/${g.id}.yaml`);
      expect(p.id).toBe(g.id);
      expect(p.title).toBe(g.title);
      expect(p.basis).toEqual(g.basis);
      expect(`${p.source.schema}.${p.source.table}`).toBe(g.source.table.includes('.') ? g.source.table : `public.${g.source.table}`);
      expect(p.source.where.map((w) => w.column)).toEqual(Object.keys(g.source.where));
      expect(p.retain.iso).toBe(g.retain);
      expect(p.trigger.kind).toBe(g.trigger.kind);
      if (g.trigger.kind === 'expiry' && p.trigger.kind === 'expiry') expect(p.trigger.from).toBe(g.trigger.from);
      expect(p.action.kind).toBe(g.action === 'delete' ? 'delete' : 'anonymise');
      if (p.action.kind === 'anonymise' && typeof g.action === 'object') {
        expect(p.action.fields.map((f) => f.column)).toEqual(Object.keys(g.action.anonymise));
      }
      expect(p.children.map((c) => c.foreignKey)).toEqual(g.children.map((c) => c.foreign_key));
      expect(p.partners).toBe(g.partners);
      for (const w of p.source.where) expect(p.positions[`source.where.${w.column}`]).toBeDefined();
    }), { numRuns: 300 });
  });
});

// Mutations: each breaks one thing at a known path; the problem must name and point at it.
const INJECTIONS = ['users; DROP TABLE x', '"x"', 'a--b', 'Users', 'a b', "x' OR '1'='1", 'x/*', '1abc', 'a'.repeat(64), ''];
const badIdentifier = fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 30 }).filter((s) => !IDENT.test(s)));
const badDuration = fc.oneof(
  fc.constantFrom('30 days', 'P', 'PT', '1Y', 'P1.5D', 'P-1D', 'p30d', 'P30DT', ''),
  fc.string({ maxLength: 12 }).filter((s) => !/^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/.test(s)),
  fc.integer(),
);
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([1, 2]), fc.constant({ a: 1 }));

interface Mutation { path: string[]; label: string; apply(p: Record<string, unknown>): void }
const setAt = (path: string[], value: unknown) => (p: Record<string, unknown>) => {
  let cur = p;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string, unknown>;
  cur[path[path.length - 1]!] = value;
};
const at = (path: string[], value: unknown): Mutation => ({ path, label: path.join('.'), apply: setAt(path, value) });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  badDuration.map((v) => at(['retain'], v)),
  badIdentifier.map((v) => at(['source', 'key'], v)),
  badIdentifier.map((v) => at(['source', 'subject'], v)),
  badIdentifier.filter((v) => !v.includes('.') || v.split('.').length > 2 || v.split('.').some((s) => !IDENT.test(s))).map((v) => at(['source', 'table'], v)),
  wrongType.map((v) => at(['classification'], v)),
  wrongType.filter((v) => !Array.isArray(v)).map((v) => at(['basis'], v)),
  fc.constantFrom('C0', 'c1', 'C4', 'secret').map((v) => at(['classification'], v)),
  fc.tuple(fc.constantFrom([], ['source'], ['trigger']), identifier.filter((k) => !['table', 'key', 'subject', 'where', 'kind', 'from', 'consent'].includes(k) && !k.startsWith('_')))
    .map(([path, key]) => ({ path: [...path, key], label: `unknown key "${key}"`, apply: setAt([...path, key], 'x') })),
);

describe('parsePolicy on broken policies', () => {
  it('refuses each with problems inside the file, at the broken line', () => {
    fc.assert(fc.property(policy, mutation, (g, m) => {
      const broken = structuredClone(g) as unknown as Record<string, unknown>;
      m.apply(broken);
      const text = render(broken);
      const lines = text.split('\n');
      let error: unknown;
      try {
        parsePolicy(text, `policies/${g.id}.yaml`);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PolicyError);
      const problems = (error as PolicyError).problems;
      expect(problems.length).toBeGreaterThan(0);
      for (const pr of problems) {
        expect(pr.file).toBe(`policies/${g.id}.yaml`);
        expect(pr.line).toBeGreaterThanOrEqual(1);
        expect(pr.line).toBeLessThanOrEqual(lines.length);
        expect(pr.col).toBeGreaterThanOrEqual(1);
      }
      const named = problems.filter((pr) => pr.message.includes(m.label));
      expect(named.length, `no problem names ${m.label}: ${(error as Error).message}`).toBeGreaterThan(0);
      // The problem's line holds the key that was broken (block style puts key and value together).
      const key = m.path[m.path.length - 1]!;
      expect(named.some((pr) => lines[pr.line - 1]!.includes(`${key}:`))).toBe(true);
    }), { numRuns: 400 });
  });
});

// Hostile files: the loader answers every one with a policy or with problems at file:line:col,
// never with another exception, and a policy it accepts names only plain SQL identifiers.
const HOSTILE_VALUES: unknown[] = [
  ...SQL_PAYLOADS, "users'", 'a b', 'Ünïcödé', '表', 'x\u0000y', 'x\u0007', '\u202e', '', ' ',
  'x'.repeat(70_000), 'P99999999999999999999Y', 'PT99999999999999999999S', 'P10000Y', 'P1000000000D',
  -1, 0, Infinity, Number.MAX_SAFE_INTEGER + 2, 1.5, true, null, [], {}, [[[[[[[[1]]]]]]]], { in: [] }, { not: null },
];
const hostileLeaf = fc.oneof(fc.constantFrom(...HOSTILE_VALUES), hostileString, fc.integer(), fc.double());
const nested = (depth: number, leaf: unknown) => Array.from({ length: depth }).reduce<unknown>((v) => ({ a: v }), leaf);

/** A path into a generated policy, sometimes one level below an existing key (a new key there). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

const textEdit = fc.oneof(
  // Splice random text in, or cut some out: broken indentation, stray colons, tabs, control characters.
  fc.tuple(fc.nat(), fc.oneof(hostileString, fc.constantFrom(':', '\t', '- ', '{', '[', '&a ', '*a', '!!js/function x', '? ', '%YAML 1.1\n---\n', '\n  x: 1', '<<: *a')))
    .map(([at, ins]) => (t: string) => t.slice(0, at % (t.length + 1)) + ins + t.slice(at % (t.length + 1))),
  fc.tuple(fc.nat(), fc.nat(40)).map(([at, n]) => (t: string) => t.slice(0, at % (t.length + 1)) + t.slice((at % (t.length + 1)) + n)),
  // A key written twice.
  fc.constantFrom('retain: P1D\n', 'id: other-id\n', 'source:\n  table: t\n').map((dup) => (t: string) => t + dup),
);

const BOMBS = [
  // Billion laughs: each level nine aliases of the last.
  `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n`,
  `id: &x a\nsource: &s {table: t, key: k, subject: s, where: {<<: *s}}\n`,
  `id: a\nx: &r [*r]\n`,
  `${'['.repeat(5000)}${']'.repeat(5000)}\n`,
  `${'a:\n '.repeat(2000)}b\n`,
  '\ufeffid: a\n', '---\nid: a\n---\nid: b\n', '\u0000', '', '\n\n\n', '!!binary aGVsbG8=\n', '"\\ud800"\n', "'unterminated\n",
];

function sqlIdentifiersOf(p: Policy): string[] {
  const out = [p.source.schema, p.source.table, p.source.key, p.source.subject, ...p.source.where.map((w) => w.column)];
  if (p.trigger.kind === 'expiry') out.push(p.trigger.from);
  else out.push(p.trigger.consent.schema, p.trigger.consent.table, p.trigger.consent.subject, p.trigger.consent.purposeColumn, p.trigger.consent.withdrawnAt);
  if (p.minimum) out.push(p.minimum.from);
  if (p.action.kind === 'anonymise') out.push(...p.action.fields.map((f) => f.column));
  // Columns a manual (paper) action names, where the build has them.
  const register = (p.action as { register?: { location?: string; mediaClass?: string } }).register;
  if (register) out.push(...[register.location, register.mediaClass].filter((c): c is string => c !== undefined));
  for (const c of p.children) out.push(c.schema, c.table, c.key, c.foreignKey);
  out.push(...p.suppress.map((c) => c.column));
  return out;
}

function expectAnsweredWell(text: string, file: string): void {
  let policy: Policy | undefined;
  try {
    policy = parsePolicy(text, file);
  } catch (e) {
    expect(e, `${(e as Error).stack}\n--- input:\n${text.slice(0, 2000)}`).toBeInstanceOf(PolicyError);
    const lines = text.split('\n').length;
    for (const pr of (e as PolicyError).problems) {
      expect(pr.file).toBe(file);
      expect(pr.line).toBeGreaterThanOrEqual(1);
      expect(pr.line).toBeLessThanOrEqual(lines);
      expect(pr.col).toBeGreaterThanOrEqual(1);
      expect(pr.message.length).toBeGreaterThan(0);
      // A message quotes at most a short excerpt of what was written.
      expect(pr.message.length).toBeLessThan(2000);
    }
    return;
  }
  for (const ident of sqlIdentifiersOf(policy)) expect(IDENT.test(ident), `accepted identifier ${JSON.stringify(ident)}`).toBe(true);
  for (const d of [policy.retain, policy.minimum?.period].filter((x) => x !== undefined)) {
    expect(subtractDuration(new Date(), d).getUTCFullYear(), `accepted duration ${d.iso}`).toBeGreaterThan(1000);
  }
}

describe('parsePolicy on hostile files', () => {
  it('answers mutated policies with a policy of plain identifiers, or with problems at file:line:col', () => {
    fc.assert(fc.property(policy, fc.array(fc.tuple(fc.nat(), hostileLeaf, fc.nat(3000)), { minLength: 1, maxLength: 3 }), fc.array(textEdit, { maxLength: 2 }),
      (g, structural, edits) => {
        const broken = structuredClone(g) as unknown as Record<string, unknown>;
        for (const [pick, value, depth] of structural) {
          const paths = pathsOf(broken).filter((p) => p.length > 0);
          const path = paths[pick % paths.length]!;
          setAt(path, depth > 2800 ? nested(depth - 2800, value) : value)(broken);
        }
        let text = render(broken);
        for (const edit of edits) text = edit(text);
        expectAnsweredWell(text, `policies/${g.id}.yaml`);
      }), { numRuns: FUZZ_RUNS * 4 });
  });

  it('answers alias bombs, deep nesting, duplicate keys and broken documents with a few problems', () => {
    for (const bomb of BOMBS) {
      expectAnsweredWell(bomb, 'policies/a.yaml');
      expect(() => parsePolicy(bomb, 'policies/a.yaml')).toThrow(PolicyError);
      try {
        parsePolicy(bomb, 'policies/a.yaml');
      } catch (e) {
        expect((e as PolicyError).problems.length, bomb.slice(0, 40)).toBeLessThanOrEqual(10);
      }
    }
    const bomb = BOMBS[0]!;
    expect(() => parsePolicy(bomb, 'policies/a.yaml')).toThrow(/policies\/a\.yaml:1:1: YAML: .*alias.* at most 100 aliases/);
  });

  it('refuses a duration past what dates can hold, naming it', () => {
    const base = 'id: a\ntitle: t\ncategory: c\nclassification: C1\nbasis: [b]\nsource: {table: t, key: id, subject: s}\ntrigger: {kind: expiry, from: f}\naction: delete\n';
    for (const d of ['P99999999999999999999Y', 'PT99999999999999999999S', 'P10000Y', 'P1000000000D', 'P1001Y']) {
      expect(() => parsePolicy(`${base}retain: ${d}\n`, 'policies/a.yaml')).toThrow(`policies/a.yaml:9:9: retain "${d}" is longer than 1000 years`);
      expect(() => parsePolicy(`${base}retain: P1D\nminimum: {period: ${d}, from: f, basis: [b], kind: law}\n`, 'policies/a.yaml')).toThrow('minimum.period');
    }
    expect(parsePolicy(`${base}retain: P1000Y\n`, 'policies/a.yaml').retain.iso).toBe('P1000Y');
  });

  it('an id of 70,000 characters is one short problem, not quoted back whole', () => {
    const text = `id: ${'x'.repeat(70_000)}\ntitle: t\n`;
    expect(() => parsePolicy(text, 'policies/a.yaml')).toThrow(PolicyError);
    try {
      parsePolicy(text, 'policies/a.yaml');
    } catch (e) {
      for (const pr of (e as PolicyError).problems) expect(pr.message.length, pr.message.slice(0, 200)).toBeLessThan(300);
      expect((e as PolicyError).problems.some((pr) => pr.message.includes('is longer than 100 characters'))).toBe(true);
    }
  });

  it('refuses a payload in every other place an identifier goes: consent, floor, where keys, anonymised and suppressed columns', () => {
    const base = {
      id: 'a', title: 't', category: 'c', classification: 'C1', basis: ['b'],
      source: { table: 't', key: 'id', subject: 's', where: { status: 'x' } as Record<string, string> },
      trigger: { kind: 'consent_withdrawn', consent: { table: 'consents', subject: 's', purpose_column: 'p', purpose: 'marketing', withdrawn_at: 'w' } },
      retain: 'P2Y', minimum: { period: 'P1Y', from: 'f', basis: ['b'], kind: 'law' },
      action: { anonymise: { phone: 'redact' } as Record<string, string> },
      suppress: ['phone'] as unknown[],
    };
    type Shape = typeof base;
    const places: [string, (p: Shape, bad: string) => void][] = [
      ['trigger.consent.table', (p, b) => { p.trigger.consent.table = b; }],
      ['trigger.consent.subject', (p, b) => { p.trigger.consent.subject = b; }],
      ['trigger.consent.purpose_column', (p, b) => { p.trigger.consent.purpose_column = b; }],
      ['trigger.consent.withdrawn_at', (p, b) => { p.trigger.consent.withdrawn_at = b; }],
      ['minimum.from', (p, b) => { p.minimum.from = b; }],
      ['source.where', (p, b) => { p.source.where = { [b]: 'x' }; }],
      ['action.anonymise', (p, b) => { p.action.anonymise = { [b]: 'redact' }; }],
      ['suppress', (p, b) => { p.suppress = [b]; }],
      ['suppress', (p, b) => { p.suppress = [{ column: b, kind: 'phone' }]; }],
    ];
    expect(parsePolicy(render(base), 'policies/a.yaml').id).toBe('a');
    for (const bad of SQL_PAYLOADS.filter((x) => x !== '_')) {
      for (const [place, set] of places) {
        const broken = structuredClone(base) as Shape;
        set(broken, bad);
        expect(() => parsePolicy(render(broken), 'policies/a.yaml'), `${place} = ${JSON.stringify(bad)}`).toThrow(place);
      }
    }
  });

  it('refuses an identifier written with quotes, semicolons, spaces or unicode wherever one goes', () => {
    const places = [['source', 'table'], ['source', 'key'], ['source', 'subject'], ['trigger', 'from'], ['children', '0', 'table'], ['children', '0', 'key'], ['children', '0', 'foreign_key']];
    fc.assert(fc.property(policy.filter((g) => g.trigger.kind === 'expiry' && g.children.length > 0), fc.constantFrom(...places),
      fc.constantFrom(...SQL_PAYLOADS, 'Üser', 'a b', 'tab\tle', 'x;y', 'x"y', "x'y", 'x`y', 'x.y.z', 'ａ', 'a\u0000').filter((s) => !/^[a-z_][a-z0-9_.]*$/.test(s)),
      (g, place, bad) => {
        const broken = structuredClone(g) as unknown as Record<string, unknown>;
        setAt(place, bad)(broken);
        expect(() => parsePolicy(render(broken), `policies/${g.id}.yaml`), `${place.join('.')} = ${JSON.stringify(bad)}`).toThrow(PolicyError);
      }), { numRuns: FUZZ_RUNS * 4 });
  });
});
