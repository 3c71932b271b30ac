import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duplicateIds, loadPolicies, loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import { formatProblem, PolicyError } from '../../src/errors.ts';

const FIXTURES = 'test/fixtures/policies';
const FILE = 'policies/sample.yaml';

// Line numbers below are asserted: keep this text's layout in mind when editing it.
const BASE = `id: sample
title: 样例
category: loan-application
classification: C3
basis:
  - 个人信息保护法 第四十七条
source:
  table: loan_applications
  key: id
  subject: customer_id
  where:
    status: rejected
trigger:
  kind: expiry
  from: decided_at
retain: P30D
action: delete
`;

/** BASE with line `n` (1-based) replaced by `lines` (several allowed, or none). */
function edit(n: number, ...lines: string[]): string {
  const all = BASE.split('\n');
  all.splice(n - 1, 1, ...lines);
  return all.join('\n');
}

function problems(text: string, file = FILE): string[] {
  try {
    parsePolicy(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as PolicyError).problems.map(formatProblem);
  }
  throw new Error('expected a PolicyError');
}

const IDENT_TAIL = 'is not a plain identifier (lowercase letters, digits and _, starting with a letter or _, at most 63 characters)';
const TABLE_TAIL = 'is not a plain table name (table or schema.table; lowercase letters, digits and _, starting with a letter or _, at most 63 characters each)';

describe('parsePolicy: valid files', () => {
  it('resolves the base policy with defaults applied', () => {
    const p = parsePolicy(BASE, FILE);
    expect(p).toMatchObject({
      id: 'sample', title: '样例', category: 'loan-application', classification: 'C3',
      basis: ['个人信息保护法 第四十七条'],
      source: { schema: 'public', table: 'loan_applications', key: 'id', subject: 'customer_id',
        where: [{ column: 'status', op: 'eq', value: 'rejected' }] },
      trigger: { kind: 'expiry', from: 'decided_at' },
      retain: { days: 30, iso: 'P30D' },
      minimum: undefined, action: { kind: 'delete' }, children: [], partners: undefined,
      file: FILE, text: BASE,
    });
    expect(p.version).toBe(createHash('sha256').update(BASE).digest('hex'));
  });

  it('records positions for the parts the catalog check points at', () => {
    const p = parsePolicy(edit(12, '    status: rejected', '    closed: { is_null: true }'), FILE);
    expect(p.positions['source.table']).toEqual({ file: FILE, line: 8, col: 10 });
    expect(p.positions['source.key']).toEqual({ file: FILE, line: 9, col: 8 });
    expect(p.positions['source.subject']).toEqual({ file: FILE, line: 10, col: 12 });
    expect(p.positions['source.where.status']).toEqual({ file: FILE, line: 12, col: 5 });
    expect(p.positions['source.where.closed']).toEqual({ file: FILE, line: 13, col: 5 });
    expect(p.positions['trigger.from']).toEqual({ file: FILE, line: 16, col: 9 });
    expect(p.positions['id']).toEqual({ file: FILE, line: 1, col: 5 });
  });

  it('reads schema-qualified tables, where operators, consent triggers, minimum, anonymise, children', async () => {
    const p = await loadPolicyFile(`${FIXTURES}/valid/marketing-profiles.yaml`);
    expect(p.source).toEqual({
      schema: 'public', table: 'marketing_profiles', key: 'id', subject: 'customer_id',
      where: [
        { column: 'segment', op: 'in', values: ['prime', 'near-prime', 3] },
        { column: 'opted_out', op: 'not', value: true },
        { column: 'deleted_at', op: 'is_null', value: true },
      ],
    });
    expect(p.trigger).toEqual({ kind: 'consent_withdrawn', consent: {
      schema: 'public', table: 'consents', subject: 'customer_id', purposeColumn: 'purpose', purpose: 'marketing', withdrawnAt: 'withdrawn_at' } });
    expect(p.retain.iso).toBe('P0D');
    expect(p.minimum).toEqual({ period: expect.objectContaining({ years: 5, iso: 'P5Y' }), from: 'created_at', basis: ['反洗钱法 第三十五条'], kind: 'law' });
    expect(p.action).toEqual({ kind: 'anonymise', fields: [
      { column: 'full_name', strategy: { kind: 'redact' } },
      { column: 'phone', strategy: { kind: 'null' } },
      { column: 'id_number', strategy: { kind: 'keep_prefix', keep: 6 } },
      { column: 'birth_date', strategy: { kind: 'generalise', to: 'year' } },
      { column: 'income', strategy: { kind: 'bucket', size: 10000 } },
      { column: 'email', strategy: { kind: 'hmac' } },
    ] });
    expect(p.positions['action.anonymise.phone']).toMatchObject({ line: 28, col: 5 });
    expect(p.positions['minimum.from']).toMatchObject({ line: 21, col: 9 });
    const bytes = await readFile(`${FIXTURES}/valid/marketing-profiles.yaml`);
    expect(p.version).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('reads children with schema-qualified tables and partners', () => {
    const p = parsePolicy(BASE + 'children:\n  - { table: archive.documents, key: id, foreign_key: application_id }\npartners: notify\n', FILE);
    expect(p.children).toEqual([{ schema: 'archive', table: 'documents', key: 'id', foreignKey: 'application_id', objects: [] }]);
    expect(p.partners).toBe('notify');
    expect(p.positions['children.0.table']).toMatchObject({ line: 19, col: 14 });
    expect(p.positions['children.0.foreign_key']).toMatchObject({ line: 19, col: 55 });
  });

  it('reads action manual with its register; methods default per media class and may be added to', () => {
    const p = parsePolicy(edit(17, 'action: manual', 'register:', '  location: shelf', '  media_class: medium', '  methods: { tape: degauss, paper: incinerate }', ''), FILE);
    expect(p.action).toEqual({ kind: 'manual', register: { location: 'shelf', mediaClass: 'medium',
      methods: { paper: 'incinerate', magnetic: 'degauss', disk: 'overwrite-3', optical: 'crush', flash: 'crush', tape: 'degauss' } } });
    expect(p.positions['register.media_class']).toMatchObject({ line: 20, col: 16 });
  });
});

describe('parsePolicy: problems at file:line:col', () => {
  it.each([
    [edit(1, 'id: Sample_One'), `${FILE}:1:5: id "Sample_One" is not kebab-case (lowercase letters and digits in words joined by single hyphens, e.g. rejected-loan-applications)`],
    [edit(1, 'id: other'), `${FILE}:1:5: id "other" does not match the file name: rename the file to other.yaml or set id: sample`],
    [edit(4, 'classification: C4'), `${FILE}:4:17: classification "C4" must be one of C1, C2, C3 (JR/T 0171-2020)`],
    [BASE.replace('basis:\n  - 个人信息保护法 第四十七条', 'basis: []'), `${FILE}:5:8: basis [] must list at least one citation`],
    [edit(6, '  - "  "'), `${FILE}:6:5: basis[0] "  " must not be empty`],
    [edit(8, '  table: "users; DROP TABLE x"'), `${FILE}:8:10: source.table "users; DROP TABLE x" ${TABLE_TAIL}`],
    [edit(8, '  table: a.b.c'), `${FILE}:8:10: source.table "a.b.c" ${TABLE_TAIL}`],
    [edit(9, '  key: a--b'), `${FILE}:9:8: source.key "a--b" ${IDENT_TAIL}`],
    [edit(9, "  key: '\"id\"'"), `${FILE}:9:8: source.key "\\"id\\"" ${IDENT_TAIL}`],
    [edit(10, '  subject: Customer_ID'), `${FILE}:10:12: source.subject "Customer_ID" ${IDENT_TAIL}`],
    [edit(10, '  subject: customer id'), `${FILE}:10:12: source.subject "customer id" ${IDENT_TAIL}`],
    [edit(10, `  subject: ${'a'.repeat(64)}`), `${FILE}:10:12: source.subject "${'a'.repeat(58)}… ${IDENT_TAIL}`],
    [edit(10, '  subject: 42'), `${FILE}:10:12: source.subject must be text, not a number (42)`],
    [edit(10), `${FILE}:7:1: source.subject is required`],
    [edit(1), `${FILE}:1:1: id is required`],
    [edit(12, '    "st;atus": rejected'), `${FILE}:12:5: source.where key "st;atus" ${IDENT_TAIL}`],
    [edit(12, '    status:'), `${FILE}:12:5: source.where.status null is not a value: write { is_null: true } to match NULL`],
    [edit(12, '    status: { in: [] }'), `${FILE}:12:19: source.where.status.in [] must list at least one value`],
    [edit(12, '    status: { in: [a], not: b }'), `${FILE}:12:13: source.where.status {"in":["a"],"not":"b"} must have exactly one of: in, not, is_null`],
    [edit(12, '    status: { is_null: yes }'), `${FILE}:12:24: source.where.status.is_null must be true or false, not text ("yes")`],
    [edit(12, '    status: [a, b]'), `${FILE}:12:13: source.where.status ["a","b"] must be a value (equals), { in: [...] }, { not: value } or { is_null: true|false }`],
    [edit(12, '    status: { like: rej% }'), `${FILE}:12:15: unknown key "like" in source.where.status (allowed: in, not, is_null)`],
    [edit(14, '  kind: expired'), `${FILE}:14:9: trigger.kind "expired" must be expiry or consent_withdrawn`],
    [edit(15), `${FILE}:14:9: trigger.from is required for kind expiry: the timestamp column that starts the clock`],
    [edit(15, '  form: decided_at'), `${FILE}:15:3: unknown key "form" in trigger (allowed: kind, from, consent)`],
    [edit(14, '  kind: consent_withdrawn'), `${FILE}:14:9: trigger.consent is required for kind consent_withdrawn: { table, subject, purpose_column, purpose, withdrawn_at }`],
    [edit(16, 'retain: 30 days'), `${FILE}:16:9: retain "30 days" is not an ISO 8601 duration (e.g. P30D)`],
    [edit(16, 'retain: 30'), `${FILE}:16:9: retain must be text, not a number (30)`],
    [edit(16, 'retain: P'), `${FILE}:16:9: retain "P" is not an ISO 8601 duration (e.g. P30D)`],
    [edit(17, 'action: destroy'), `${FILE}:17:9: action "destroy" must be delete, manual or { anonymise: { column: strategy } }`],
    [edit(17, 'action: manual'), `${FILE}:17:9: action manual needs register: { location: column, media_class: column, methods?: { class: method } }`],
    [edit(17, 'action: manual', 'register: { location: loc, media_class: m, methods: { paper: burn } }', ''),
      `${FILE}:18:62: register.methods.paper "burn" is not a destruction method (shred, degauss, overwrite-3, crush, incinerate)`],
    [edit(17, 'action: manual', 'register: { location: loc, media_class: m, methods: { Paper: shred } }', ''),
      `${FILE}:18:55: register.methods key "Paper" is not a media class name (lowercase letters, digits, _ and -, e.g. paper)`],
    [edit(17, 'action: manual', 'register: { location: loc, media_class: m }', 'children:', '  - { table: docs, key: id, foreign_key: a }', ''),
      `${FILE}:19:1: children are not used by action manual: people destroy the register's items, and confirming a task deletes their register rows`],
    [BASE + 'register: { location: loc, media_class: m }\n', `${FILE}:18:1: register is only for action: manual (physical items destroyed by people, with a task)`],
    [edit(17, 'action: { anonymise: {} }'), `${FILE}:17:22: action.anonymise {} must name at least one column`],
    [edit(17, 'action: { anonymise: { phone: blank } }'), `${FILE}:17:31: action.anonymise.phone "blank" is not a strategy (redact, null, hmac, { keep_prefix: n }, { generalise: year|month }, { bucket: n })`],
    [edit(17, 'action: { anonymise: { phone: { keep_prefix: -1 } } }'), `${FILE}:17:46: action.anonymise.phone.keep_prefix -1 must be 0 or more`],
    [edit(17, 'action: { anonymise: { phone: { keep_prefix: 1.5 } } }'), `${FILE}:17:46: action.anonymise.phone.keep_prefix 1.5 must be a whole number`],
    [edit(17, 'action: { anonymise: { income: { bucket: 0 } } }'), `${FILE}:17:42: action.anonymise.income.bucket 0 must be greater than 0`],
    [edit(17, 'action: { anonymise: { born: { generalise: day } } }'), `${FILE}:17:44: action.anonymise.born.generalise "day" must be year or month`],
    [edit(17, 'action: { anonymise: { "Phone": redact } }'), `${FILE}:17:24: action.anonymise key "Phone" ${IDENT_TAIL}`],
    [edit(17, 'action: { anonymise: { id: redact } }'), `${FILE}:17:24: action.anonymise.id is the source key column: anonymising it would cut the record from its evidence and children`],
    [edit(17, 'action: { anonymise: { customer_id: hmac } }'), `${FILE}:17:24: action.anonymise.customer_id is the source subject column: anonymising it would cut the record from its subject, holds and erasure requests`],
    [BASE + 'partners: yes\n', `${FILE}:18:11: partners "yes" must be notify (or leave it out)`],
    [BASE + 'children:\n  - { table: docs, key: id }\n', `${FILE}:19:5: children[0].foreign_key is required`],
    [BASE + 'children:\n  - { table: docs, key: id, foreign_key: a }\n  - { table: public.docs, key: id, foreign_key: b }\n',
      `${FILE}:20:14: children[1].table public.docs is listed twice`],
    [BASE + 'owner: risk-team\n', `${FILE}:18:1: unknown key "owner" (allowed: id, title, category, classification, basis, source, trigger, retain, minimum, maximum, action, children, partners, register, suppress, objects, kept_while)`],
    [BASE + 'minimum: { period: P1Y, from: decided_at, basis: [反洗钱法] }\n', `${FILE}:18:1: minimum.kind is required and must be law (a law or administrative regulation, 法律、行政法规: defers an erasure request), regulator (a regulator's rule) or analogy (a rule for something else, applied by analogy) — the last two yield to an erasure request`],
    [BASE + 'minimum: { period: P1Y, from: decided_at, basis: [反洗钱法], kind: statute }\n', `${FILE}:18:64: minimum.kind "statute" must be law (a law or administrative regulation, 法律、行政法规: defers an erasure request), regulator (a regulator's rule) or analogy (a rule for something else, applied by analogy) — the last two yield to an erasure request`],
    [BASE + 'maximum: { period: P7D, basis: [征信业管理条例 第十六条] }\n', `${FILE}:16:9: retain P30D is longer than the maximum P7D (征信业管理条例 第十六条): no retention, floor or override may keep these records past it`],
    [BASE + 'maximum: { period: P1M }\n', `${FILE}:18:1: maximum.basis is required`],
    [BASE + 'suppress: [phone]\n', `${FILE}:18:1: suppress is for a consent_withdrawn policy: its consent purpose names the list the contacts go on`],
  ])('%#', (text, expected) => {
    expect(problems(text)).toContain(expected);
  });

  it('rejects retain shorter than the minimum unless minimum.reason says why', () => {
    const minimum = ['minimum:', '  period: P5Y', '  from: closed_at', '  basis: [反洗钱法]', '  kind: law'];
    expect(problems(BASE + minimum.join('\n') + '\n')).toEqual([
      `${FILE}:16:9: retain P30D is shorter than minimum P5Y: records would be deferred until the floor ends; say why in minimum.reason`,
    ]);
    const p = parsePolicy(BASE + [...minimum, '  reason: erasure requests must be deferred, not refused'].join('\n') + '\n', FILE);
    expect(p.minimum?.period.iso).toBe('P5Y');
    expect(parsePolicy(edit(16, 'retain: P6Y') + minimum.join('\n') + '\n', FILE).retain.years).toBe(6);
  });

  it('reports every problem in a file, not only the first', () => {
    const text = edit(9, '  key: "id; --"').replace('retain: P30D', 'retain: forever').replace('C3', 'C9');
    expect(problems(text)).toEqual([
      `${FILE}:4:17: classification "C9" must be one of C1, C2, C3 (JR/T 0171-2020)`,
      `${FILE}:9:8: source.key "id; --" ${IDENT_TAIL}`,
      `${FILE}:16:9: retain "forever" is not an ISO 8601 duration (e.g. P30D)`,
    ]);
  });

  it('rejects a consent trigger that also has from, and an expiry trigger with a consent', () => {
    const consent = edit(14, '  kind: consent_withdrawn', '  consent: { table: consents, subject: customer_id, purpose_column: purpose, purpose: marketing, withdrawn_at: withdrawn_at }');
    expect(problems(consent)).toEqual([`${FILE}:16:3: trigger.from is not used by kind consent_withdrawn: the withdrawal time starts the clock`]);
    const expiry = edit(15, '  from: decided_at', '  consent: { table: consents, subject: customer_id, purpose_column: purpose, purpose: m, withdrawn_at: w }');
    expect(problems(expiry)).toEqual([`${FILE}:16:3: trigger.consent is only for kind consent_withdrawn`]);
    const badConsent = edit(15, '  consent: { table: consents, subject: customer_id, purpose_column: "purpose;", purpose: m, withdrawn_at: w }').replace('kind: expiry', 'kind: consent_withdrawn');
    expect(problems(badConsent)).toEqual([`${FILE}:15:69: trigger.consent.purpose_column "purpose;" ${IDENT_TAIL}`]);
  });

  it('reports YAML syntax errors at the parser position, within the file', () => {
    expect(problems('id: sample\ntitle: [unclosed\n')).toEqual([
      `${FILE}:2:17: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
    expect(problems('id: sample\nid: again\n')).toEqual([`${FILE}:2:1: YAML: Map keys must be unique`]);
    expect(problems('')).toEqual([`${FILE}:1:1: the file is empty: a policy is a mapping of keys (id, title, source, trigger, retain, action…)`]);
    expect(problems('- a\n- b\n')).toEqual([`${FILE}:1:1: the file is not a mapping: a policy is a mapping of keys (id, title, source, trigger, retain, action…)`]);
  });
});

describe('loadPolicies', () => {
  it('loads every .yaml file of a folder, sorted by name', async () => {
    const ps = await loadPolicies(`${FIXTURES}/valid`);
    expect(ps.map((p) => p.id)).toEqual(['marketing-profiles', 'rejected-loan-applications']);
    expect(ps[1]!.file).toBe(`${FIXTURES}/valid/rejected-loan-applications.yaml`);
    expect(ps[1]!.children).toEqual([{ schema: 'public', table: 'loan_application_documents', key: 'id', foreignKey: 'application_id', objects: [] }]);
  });

  it('collects the problems of all files into one PolicyError', async () => {
    const e = await loadPolicies(`${FIXTURES}/broken`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as PolicyError).exitCode).toBe(2);
    expect((e as PolicyError).message.split('\n')).toEqual([
      `${FIXTURES}/broken/bad-retain.yaml:8:9: retain "30 days" is not an ISO 8601 duration (e.g. P30D)`,
      `${FIXTURES}/broken/syntax.yaml:2:17: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${FIXTURES}/broken/wrong-name.yaml:1:5: id "right-name" does not match the file name: rename the file to right-name.yaml or set id: wrong-name`,
      `${FIXTURES}/broken/wrong-name.yaml:10:3: unknown key "colour" in source (allowed: table, key, subject, where)`,
    ]);
  });

  it('ignores files that are not policies but asks for .yml to be renamed', async () => {
    const e = await loadPolicies(`${FIXTURES}/mixed`).catch((x: unknown) => x);
    expect((e as PolicyError).problems).toEqual([{ file: `${FIXTURES}/mixed/old-marketing.yml`, line: 1, col: 1,
      message: 'policy files end in .yaml: rename old-marketing.yml to old-marketing.yaml' }]);
  });

  it('says so when a folder holds no policy or does not exist', async () => {
    await expect(loadPolicies(`${FIXTURES}/empty`)).rejects.toThrow(
      `${FIXTURES}/empty:1:1: no policy files (*.yaml) in this folder: one file per policy, named <id>.yaml`);
    await expect(loadPolicies(`${FIXTURES}/missing`)).rejects.toThrow(/missing:1:1: cannot read the policy folder: ENOENT/);
  });

  it('refuses a file that is not UTF-8: its kept text must hash to its version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lethe-utf8-'));
    const latin1 = Buffer.concat([Buffer.from(BASE.replace('样例', 'x')), Buffer.from([0xe9, 0x0a])]);
    await writeFile(join(dir, 'sample.yaml'), latin1);
    await expect(loadPolicyFile(join(dir, 'sample.yaml'))).rejects.toThrow(`${join(dir, 'sample.yaml')}:1:1: the file is not valid UTF-8: save it as UTF-8`);
    // With a byte order mark the text still reads back to the same bytes.
    await writeFile(join(dir, 'sample.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BASE)]));
    const p = await loadPolicyFile(join(dir, 'sample.yaml'));
    expect(createHash('sha256').update(p.text, 'utf8').digest('hex')).toBe(p.version);
  });

  it('reports a duplicate id at the second policy', () => {
    const a = parsePolicy(BASE, 'one/sample.yaml');
    const b = parsePolicy(BASE, 'two/sample.yaml');
    expect(duplicateIds([a, b]).map(formatProblem)).toEqual(['two/sample.yaml:1:5: id "sample" is already used by one/sample.yaml']);
  });
});
