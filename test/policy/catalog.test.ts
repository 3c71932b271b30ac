// The catalog check against a real PostgreSQL: tables of its own in schema `cat`, so the
// reference lender tables can change without breaking these assertions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../helpers.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { castType, checkCatalog, columnTypeMap } from '../../src/policy/catalog.ts';
import { formatProblem } from '../../src/errors.ts';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb('catalog');
  await t.db.execute(sql.raw(`
    CREATE SCHEMA cat;
    CREATE TABLE cat.apps (
      id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, decided_at timestamptz,
      closed_at timestamptz, amount numeric(14, 2), code varchar(2), email varchar(64), tag varchar(32),
      payload jsonb, flag boolean, born date, nick text, ref uuid);
    CREATE INDEX apps_closed_at ON cat.apps (closed_at, id);
    CREATE INDEX apps_customer_id ON cat.apps (customer_id);
    CREATE TABLE cat.docs (id bigint PRIMARY KEY, app_id bigint NOT NULL, blob jsonb);
    CREATE TABLE cat.docs_indexed (id integer PRIMARY KEY, app_id bigint NOT NULL);
    CREATE INDEX docs_indexed_app_id ON cat.docs_indexed (app_id);
    CREATE TABLE cat.consents (customer_id bigint, purpose text, withdrawn_at timestamptz, note text);
    CREATE VIEW cat.apps_view AS SELECT * FROM cat.apps;
    CREATE MATERIALIZED VIEW cat.apps_mat AS SELECT * FROM cat.apps;
    CREATE FOREIGN DATA WRAPPER cat_fdw;
    CREATE SERVER cat_server FOREIGN DATA WRAPPER cat_fdw;
    CREATE FOREIGN TABLE cat.apps_remote (id bigint, customer_id bigint, closed_at timestamptz) SERVER cat_server;
    CREATE VIEW cat.consents_view AS SELECT * FROM cat.consents;
    CREATE TABLE cat.loose (id bigint PRIMARY KEY, who numeric, born date, closed_at timestamptz);
    CREATE INDEX loose_closed_at ON cat.loose (closed_at, id);
  `));
});

afterAll(async () => {
  await t.drop();
});

const FILE = 'policies/p.yaml';

/** A policy on cat.apps; `lines` are appended and `retain` etc. may be overridden by them. */
function policy(source: string[], rest: string[]): ReturnType<typeof parsePolicy> {
  const text = [
    'id: p', 'title: t', 'category: c', 'classification: C2', 'basis: [law]', // lines 1-5
    'source:', ...source, // 6..
    ...rest,
  ].join('\n') + '\n';
  return parsePolicy(text, FILE);
}

const SOURCE = ['  table: cat.apps', '  key: id', '  subject: customer_id']; // lines 7-9
const EXPIRY = ['trigger: { kind: expiry, from: closed_at }', 'retain: P30D', 'action: delete']; // lines 10-12

async function check(...policies: ReturnType<typeof parsePolicy>[]) {
  const r = await checkCatalog(t.db, policies);
  return { problems: r.problems.map(formatProblem), warnings: r.warnings.map(formatProblem), tables: r.tables };
}

describe('checkCatalog', () => {
  it('accepts a policy whose tables and columns fit, and returns their types', async () => {
    const p = policy([...SOURCE, '  where: { status: rejected, amount: { in: [1, "2.5"] }, flag: { not: true }, born: { is_null: false } }'], [
      'trigger: { kind: expiry, from: closed_at }', 'retain: P30D',
      'action: { anonymise: { nick: null, email: hmac, tag: { keep_prefix: 2 }, born: { generalise: month }, amount: { bucket: 100 }, code: { keep_prefix: 1 } } }',
      'children:', '  - { table: cat.docs_indexed, key: id, foreign_key: app_id }',
    ]);
    const r = await check(p);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    const apps = r.tables.get('cat.apps')!;
    expect(castType(apps, 'id')).toBe('bigint');
    expect(castType(apps, 'closed_at')).toBe('timestamp with time zone');
    expect(castType(apps, 'email')).toBe('character varying(64)');
    expect(apps.columns.get('email')).toMatchObject({ baseType: 'varchar', maxLength: 64, nullable: true });
    expect(apps.columns.get('status')).toMatchObject({ type: 'text', nullable: false, maxLength: undefined });
    expect(castType(r.tables.get('cat.docs_indexed')!, 'id')).toBe('integer');
    expect(columnTypeMap(r.tables).get('cat.docs_indexed.app_id')).toBe('bigint');
    expect(() => castType(apps, 'nope')).toThrow('cat.apps has no column nope');
  });

  it('checks kept_while and suppress columns: the table and column exist, the ids are of the same type, contacts are text', async () => {
    const kept = (rest: string) => policy(SOURCE, [...EXPIRY, rest]);
    expect((await check(kept('kept_while: [{ table: cat.docs_indexed, subject: app_id }]'))).problems).toEqual([]);
    const r = await check(kept('kept_while: [{ table: cat.consents, subject: purpose }, { table: cat.nope, subject: x }]'));
    expect(r.problems).toEqual([
      `${FILE}:13:46: kept_while[0].subject: purpose is text, but the source subject customer_id is bigint: they must hold the same ids`,
      `${FILE}:13:66: kept_while[1].table: table cat.nope does not exist`,
    ]);
    expect(r.warnings).toEqual([`${FILE}:13:46: kept_while[0].subject: no index on cat.consents starts with purpose, so each scan looks through the whole table for every record; create one: CREATE INDEX ON cat.consents (purpose)`]);
    const consent = ['trigger: { kind: consent_withdrawn, consent: { table: cat.consents, subject: customer_id, purpose_column: purpose, purpose: m, withdrawn_at: withdrawn_at } }', 'retain: P0D', 'action: delete'];
    const s = await check(policy(SOURCE, [...consent, 'suppress: [email, { column: amount, kind: phone }]']));
    expect(s.problems).toEqual([`${FILE}:13:19: suppress[1]: amount is numeric(14,2); a phone column to suppress must hold text`]);
  });

  it('reports missing tables and columns at the line that names them', async () => {
    const r = await check(policy(['  table: cat.appz', '  key: id', '  subject: customer_id'], EXPIRY));
    expect(r.problems).toEqual([`${FILE}:7:10: source.table: table cat.appz does not exist`]);

    const cols = await check(policy(['  table: cat.apps', '  key: idd', '  subject: client_id', '  where: { state: x }'], [
      'trigger: { kind: expiry, from: decided }', 'retain: P1Y',
      'minimum: { period: P1Y, from: ended_at, basis: [law], kind: law }',
      'action: { anonymise: { full_name: redact } }',
      'children:', '  - { table: cat.docs, key: doc_id, foreign_key: application_id }', '  - { table: cat.nothing, key: id, foreign_key: app_id }',
    ]));
    const all = 'id, customer_id, status, decided_at, closed_at, amount, code, email, tag, payload, flag, born, nick, ref';
    expect(cols.problems).toEqual([
      `${FILE}:8:8: source.key: column idd does not exist in cat.apps (columns: ${all})`,
      `${FILE}:9:12: source.subject: column client_id does not exist in cat.apps (columns: ${all})`,
      `${FILE}:10:12: source.where.state: column state does not exist in cat.apps (columns: ${all})`,
      `${FILE}:11:32: trigger.from: column decided does not exist in cat.apps (columns: ${all})`,
      `${FILE}:13:31: minimum.from: column ended_at does not exist in cat.apps (columns: ${all})`,
      `${FILE}:14:24: action.anonymise.full_name: column full_name does not exist in cat.apps (columns: ${all})`,
      `${FILE}:16:29: children[0].key: column doc_id does not exist in cat.docs (columns: id, app_id, blob)`,
      `${FILE}:16:50: children[0].foreign_key: column application_id does not exist in cat.docs (columns: id, app_id, blob)`,
      `${FILE}:17:14: children[1].table: table cat.nothing does not exist`,
    ]);
  });

  it('checks column types against each role', async () => {
    const r = await check(policy(['  table: cat.apps', '  key: payload', '  subject: customer_id',
      '  where: { amount: abc, flag: maybe, decided_at: yesterday, ref: 12 }'], [
      'trigger: { kind: expiry, from: status }', 'retain: P1Y',
      'minimum: { period: P1Y, from: amount, basis: [law], kind: law }',
      'action: { anonymise: { amount: redact, code: hmac, status: null, nick: { generalise: year }, email: { bucket: 5 }, flag: { keep_prefix: 1 }, code2: redact } }',
    ]));
    // code2 does not exist; the rest exist with the wrong type.
    expect(r.problems).toEqual([
      `${FILE}:8:8: source.key: payload is jsonb; a key must be smallint, integer, bigint, numeric, text, varchar or uuid`,
      `${FILE}:10:12: source.where.amount: "abc" is not a valid value for column amount (numeric(14,2))`,
      `${FILE}:10:25: source.where.flag: "maybe" is not a valid value for column flag (boolean)`,
      `${FILE}:10:38: source.where.decided_at: "yesterday" is not a valid value for column decided_at (timestamp with time zone)`,
      `${FILE}:10:61: source.where.ref: 12 is not a valid value for column ref (uuid)`,
      `${FILE}:11:32: trigger.from: status is text; a clock must be date, timestamp or timestamptz`,
      `${FILE}:13:31: minimum.from: amount is numeric(14,2); a clock must be date, timestamp or timestamptz`,
      `${FILE}:14:24: action.anonymise.amount: redact needs a text column; amount is numeric(14,2)`,
      `${FILE}:14:40: action.anonymise.code: hmac writes 64 characters; code is character varying(2)`,
      `${FILE}:14:52: action.anonymise.status: null needs a nullable column; status is NOT NULL`,
      `${FILE}:14:66: action.anonymise.nick: generalise needs a date or timestamp column; nick is text`,
      `${FILE}:14:94: action.anonymise.email: bucket needs a numeric column; email is character varying(64)`,
      `${FILE}:14:116: action.anonymise.flag: keep_prefix needs a text column; flag is boolean`,
      expect.stringMatching(/^policies\/p\.yaml:14:142: action\.anonymise\.code2: column code2 does not exist in cat\.apps/),
    ]);
  });

  it('refuses a view as a source and checks the consent table', async () => {
    const v = await check(policy(['  table: cat.apps_view', '  key: id', '  subject: customer_id'], EXPIRY));
    expect(v.problems).toEqual([`${FILE}:7:10: source.table: cat.apps_view is a view; a policy may only point at the lender's own tables, not at what they are seen or reached through`]);
    const consent = policy(SOURCE, [
      'trigger:', '  kind: consent_withdrawn',
      '  consent: { table: cat.consents, subject: customer_id, purpose_column: purposes, purpose: marketing, withdrawn_at: note }',
      'retain: P0D', 'action: delete',
    ]);
    expect((await check(consent)).problems).toEqual([
      `${FILE}:12:73: trigger.consent.purpose_column: column purposes does not exist in cat.consents (columns: customer_id, purpose, withdrawn_at, note)`,
      `${FILE}:12:117: trigger.consent.withdrawn_at: note is text; a clock must be date, timestamp or timestamptz`,
    ]);
    const missing = policy(SOURCE, ['trigger:', '  kind: consent_withdrawn',
      '  consent: { table: consentz, subject: customer_id, purpose_column: purpose, purpose: m, withdrawn_at: withdrawn_at }',
      'retain: P0D', 'action: delete']);
    expect((await check(missing)).problems).toEqual([`${FILE}:12:21: trigger.consent.table: table consentz does not exist`]);
  });

  it('refuses lethe\'s own tables, PostgreSQL\'s, views and foreign tables as source, child or consent table', async () => {
    const at = async (source: string) => (await check(policy([`  table: ${source}`, '  key: id', '  subject: customer_id'], EXPIRY))).problems;
    expect(await at('lethe.holds')).toEqual([`${FILE}:7:10: source.table: lethe.holds is in schema lethe, which belongs to lethe itself; a policy may only point at the lender's own tables`]);
    for (const system of ['lethe.api_tokens', 'lethe.evidence', 'pg_catalog.pg_authid', 'information_schema.tables', 'pg_toast.pg_toast_1262', 'pg_temp_3.apps']) {
      expect(await at(system), system).toEqual([expect.stringMatching(new RegExp(`^${FILE}:7:10: source\\.table: ${system.replace('.', '\\.')} is in schema \\w+, which belongs to`))]);
    }
    expect(await at('cat.apps_mat')).toEqual([expect.stringContaining('source.table: cat.apps_mat is a materialized view;')]);
    expect(await at('cat.apps_remote')).toEqual([expect.stringContaining('source.table: cat.apps_remote is a foreign table;')]);
    const child = await check(policy(SOURCE, [...EXPIRY, 'children:', '  - { table: lethe.holds, key: id, foreign_key: id }']));
    expect(child.problems).toEqual([expect.stringMatching(/^policies\/p\.yaml:14:\d+: children\[0\]\.table: lethe\.holds is in schema lethe/)]);
    const consent = await check(policy(SOURCE, ['trigger:', '  kind: consent_withdrawn',
      '  consent: { table: cat.consents_view, subject: customer_id, purpose_column: purpose, purpose: m, withdrawn_at: withdrawn_at }',
      'retain: P0D', 'action: delete']));
    expect(consent.problems).toEqual([`${FILE}:12:21: trigger.consent.table: cat.consents_view is a view; a policy may only point at the lender's own tables, not at what they are seen or reached through`]);
  });

  it('refuses a subject column whose type has no one way to write each id', async () => {
    const loose = (subject: string) => policy(['  table: cat.loose', '  key: id', `  subject: ${subject}`], EXPIRY);
    expect((await check(loose('who'))).problems).toEqual([`${FILE}:9:12: source.subject: who is numeric; a subject column must be smallint, integer, bigint, numeric(p,s), text, varchar, char or uuid (one way to write each id)`]);
    expect((await check(loose('born'))).problems).toEqual([expect.stringContaining('source.subject: born is date; a subject column must be')]);
  });

  it('warns, without refusing, when no index serves the scan or the child lookup', async () => {
    const p = policy(SOURCE, ['trigger: { kind: expiry, from: decided_at }', 'retain: P30D', 'action: delete',
      'children:', '  - { table: cat.docs, key: id, foreign_key: app_id }']);
    const r = await check(p);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      `${FILE}:10:32: trigger.from: no index on cat.apps leads with decided_at, so every scan reads the whole table; create one: CREATE INDEX ON cat.apps (decided_at)`,
      `${FILE}:14:46: children[0].foreign_key: no index on cat.docs starts with app_id, so each batch reads the whole table; create one: CREATE INDEX ON cat.docs (app_id)`,
    ]);
  });

  it('warns when no index serves finding one subject\'s records', async () => {
    const p = policy(['  table: cat.apps', '  key: id', '  subject: nick'], EXPIRY);
    expect((await check(p)).warnings).toEqual([
      `${FILE}:9:12: source.subject: no index on cat.apps starts with nick, so each erasure request or subject purge reads the whole table; create one: CREATE INDEX ON cat.apps (nick)`,
    ]);
  });

  it('takes an index led by the columns a policy fixes by equality, then the clock, as serving the scan', async () => {
    const p = policy([...SOURCE, '  where: { status: rejected }'], ['trigger: { kind: expiry, from: decided_at }', 'retain: P30D', 'action: delete']);
    expect((await check(p)).warnings).toEqual([
      `${FILE}:11:32: trigger.from: no index on cat.apps leads with decided_at, so every scan reads the whole table; create one: CREATE INDEX ON cat.apps (status, decided_at)`,
    ]);
    await t.db.execute(sql.raw('CREATE INDEX apps_status_decided ON cat.apps (status, decided_at, id)'));
    try {
      expect((await check(p)).warnings).toEqual([]);
      // Without the equality the same index does not lead with the clock.
      const unfiltered = policy(SOURCE, ['trigger: { kind: expiry, from: decided_at }', 'retain: P30D', 'action: delete']);
      expect((await check(unfiltered)).warnings).toHaveLength(1);
    } finally {
      await t.db.execute(sql.raw('DROP INDEX cat.apps_status_decided'));
    }
  });

  it('reads the reference lender tables in public', async () => {
    const p = parsePolicy([
      'id: rejected', 'title: t', 'category: c', 'classification: C3', 'basis: [law]',
      'source: { table: loan_applications, key: id, subject: customer_id, where: { status: rejected } }',
      'trigger: { kind: expiry, from: decided_at }', 'retain: P30D', 'action: delete',
      'children: [{ table: loan_application_documents, key: id, foreign_key: application_id }]',
    ].join('\n'), 'policies/rejected.yaml');
    const r = await check(p);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(castType(r.tables.get('public.loan_applications')!, 'decided_at')).toBe('timestamp with time zone');
  });
});
