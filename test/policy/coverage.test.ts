// `lethe policies coverage` as an operator runs it, against the reference lender's tables: what
// the shipped pack leaves ungoverned, an extra table of phones, an anonymised table's unlisted
// column, undeclared children (blocking and cascading), and the allow-list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../helpers.ts';
import { ROOT, runCli } from '../cli/run-cli.ts';
import { personalKinds, type ColumnFacts } from '../../src/policy/coverage-patterns.ts';
import type { CoverageReport } from '../../src/policy/coverage.ts';

const POLICIES = join(ROOT, 'policies');

describe('policies coverage', () => {
  let t: TestDb;
  let dir: string;
  const coverage = async (args: string[] = [], cwd = ROOT) => {
    const r = await runCli(['policies', 'coverage', '--policies', POLICIES, ...args], { DATABASE_URL: t.url, LOG_LEVEL: 'silent' }, { cwd });
    return { ...r, report: args.includes('--json') && r.stdout ? JSON.parse(r.stdout) as CoverageReport : undefined };
  };
  const names = (report: CoverageReport | undefined) => report!.uncovered.map((u) => `${u.table}.${u.column}`).sort();

  beforeAll(async () => {
    t = await createTestDb('coverage');
    dir = await mkdtemp(join(tmpdir(), 'lethe-coverage-'));
  });
  afterAll(async () => {
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on the reference lender with the shipped pack and its checked-in allow-list', async () => {
    const r = await coverage(['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ uncovered: [], undeclared_children: [] });
    const allowed = r.report!.allowed.map((a) => `${a.kind}:${a.table}.${a.column}`).sort();
    // (and whatever else the checked-in file lists for tables added since, each with its reason)
    expect(allowed).toEqual(expect.arrayContaining(['uncovered:public.loans.customer_id',
      'uncovered:public.transactions.customer_id', 'undeclared_child:public.loans.application_id']));
    // Consents and the sharing ledger have policies now: no longer gaps on the list.
    expect(allowed.filter((a) => /consents|data_sharing_ledger/.test(a))).toEqual([]);
    expect(r.report!.allowed.every((a) => a.reason.length > 10 && /^coverage-allow\.yaml:\d+:\d+$/.test(a.allowed_at))).toBe(true);
  });

  it('without the allow-list, names what the pack leaves ungoverned and the undeclared child, exit 1', async () => {
    const r = await coverage(['--json'], dir); // no coverage-allow.yaml in this working directory
    expect(r.code).toBe(1);
    expect(names(r.report)).toEqual(['public.loans.customer_id', 'public.transactions.customer_id']);
    // Every one of them is allowed, with a reason, in the checked-in file (the first test).
    const allowed = (await coverage(['--json'])).report!.allowed.map((a) => `${a.table}.${a.column}`);
    expect(allowed).toEqual(expect.arrayContaining(names(r.report)));
    // Anonymised tables: the link to the customer is not among the anonymised columns.
    expect(r.report!.uncovered.find((u) => u.table === 'public.loans')).toMatchObject({ kinds: ['subject_link'], anonymised_by: ['approved-loan-files'] });
    // The loan outlives its application by design (ON DELETE SET NULL), under every policy deleting applications.
    expect(r.report!.undeclared_children).toEqual(['abandoned-loan-applications', 'approved-loan-applications', 'rejected-loan-applications', 'withdrawn-loan-applications']
      .map((policy) => ({ policy, table: 'public.loans', column: 'application_id', references: 'public.loan_applications', on_delete: 'set null', effect: 'outlives_record' })));
  });

  it('names an extra table holding phones (by name, comment and link) and exits 1; an allow-list entry makes it pass', async () => {
    await t.db.execute(sql.raw(`CREATE TABLE call_notes (id bigint PRIMARY KEY, caller_mobile text,
        customer_id bigint REFERENCES customers (id), note text, created_at timestamptz);
      COMMENT ON COLUMN call_notes.note IS '客户来电备注，含联系电话'`));
    const human = await coverage();
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/public\.call_notes\s+caller_mobile\s+phone/);
    const r = await coverage(['--json']);
    expect(r.code).toBe(1);
    expect(names(r.report)).toEqual(['public.call_notes.caller_mobile', 'public.call_notes.customer_id', 'public.call_notes.note']);

    const allowFile = join(dir, 'allow.yaml');
    await writeFile(allowFile, `${await readFile(join(ROOT, 'coverage-allow.yaml'), 'utf8')}
- table: call_notes
  reason: call-centre notes are purged by the telephony vendor's own 90-day job (contract §7)
`);
    const ok = await coverage(['--json', '--allow', allowFile]);
    expect(ok.code).toBe(0);
    expect(ok.report!.uncovered).toEqual([]);
    expect(ok.report!.allowed.filter((a) => a.table === 'public.call_notes').map((a) => a.column).sort()).toEqual(['caller_mobile', 'customer_id', 'note']);
    await t.db.execute(sql.raw('DROP TABLE call_notes'));
  });

  it('finds a table linked to customers by the subject column name alone, without a foreign key', async () => {
    await t.db.execute(sql.raw('CREATE TABLE partner_exports (id bigint PRIMARY KEY, customer_id bigint NOT NULL, exported_at timestamptz)'));
    const r = await coverage(['--json']);
    expect(r.code).toBe(1);
    expect(r.report!.uncovered).toEqual([expect.objectContaining({ table: 'public.partner_exports', column: 'customer_id', kinds: ['subject_link'] })]);
    expect(r.report!.uncovered[0]!.reasons[0]).toMatch(/named like the subject column of .*no foreign key/);
    await t.db.execute(sql.raw('DROP TABLE partner_exports'));
  });

  it('reports a personal column an anonymise policy leaves out', async () => {
    await t.db.execute(sql.raw('ALTER TABLE customers ADD COLUMN home_address text'));
    const r = await coverage(['--json']);
    expect(r.code).toBe(1);
    expect(r.report!.uncovered).toEqual([expect.objectContaining({ table: 'public.customers', column: 'home_address', kinds: ['address'],
      anonymised_by: ['customer-profile-anonymise'] })]);
    await t.db.execute(sql.raw('ALTER TABLE customers DROP COLUMN home_address'));
  });

  it('names undeclared children: rows that would block a delete, and rows a cascade would take without evidence', async () => {
    await t.db.execute(sql.raw(`CREATE TABLE complaint_attachments (id bigint PRIMARY KEY, complaint_id bigint REFERENCES complaints (id) ON DELETE CASCADE);
      CREATE TABLE face_retries (id bigint PRIMARY KEY, verification_id bigint REFERENCES face_verifications (id))`));
    const r = await coverage(['--json']);
    expect(r.code).toBe(1);
    expect(r.report!.uncovered).toEqual([]);
    expect(r.report!.undeclared_children).toEqual([
      { policy: 'complaint-records', table: 'public.complaint_attachments', column: 'complaint_id', references: 'public.complaints', on_delete: 'cascade', effect: 'deleted_without_evidence' },
      { policy: 'face-verification-images', table: 'public.face_retries', column: 'verification_id', references: 'public.face_verifications', on_delete: 'no action', effect: 'blocks_delete' },
    ]);
    const human = await coverage();
    expect(human.stdout).toMatch(/complaint-records\s+public\.complaint_attachments\s+complaint_id\s+public\.complaints\s+ON DELETE CASCADE: its rows vanish without evidence/);
    expect(human.stdout).toMatch(/face-verification-images\s+public\.face_retries\s+verification_id\s+public\.face_verifications\s+its rows block the delete/);
    await t.db.execute(sql.raw('DROP TABLE complaint_attachments, face_retries'));
  });

  it('refuses a bad allow-list with every problem at file:line:col, exit 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, '- table: loans\n  colum: customer_id\n  reason: short\n- { table: no_such_table, reason: a reason long enough }\n');
    const r = await coverage(['--allow', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:3: unknown key "colum"`);
    expect(r.stderr).toContain(`${file}:3:11: [0].reason "short" is too short`);
    await writeFile(file, '- { table: no_such_table, reason: a reason long enough }\n- { table: loans, column: nope, reason: a reason long enough }\n');
    const r2 = await coverage(['--allow', file]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${file}:1:3: table public.no_such_table does not exist`);
    expect(r2.stderr).toContain(`${file}:2:3: column nope does not exist in public.loans`);
    expect((await coverage(['--allow', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});

describe('personal data patterns', () => {
  const facts = (name: string, category = 'S', baseType = 'text', table = 'things', comment: string | null = null): ColumnFacts =>
    ({ name, comment, category, baseType, table, tableComment: null });
  const kinds = (c: ColumnFacts) => personalKinds(c).map((k) => k.kind);

  it.each([
    ['phone', 'phone'], ['caller_phone', 'phone'], ['mobileNo', 'phone'], ['id_number', 'id_number'], ['sfzh', 'id_number'],
    ['bank_card_no', 'card_or_account'], ['repayment_account', 'card_or_account'], ['email', 'email'], ['home_address', 'address'],
    ['full_name', 'name'], ['name', 'name'], ['counterparty_name', 'name'], ['face_image_uri', 'biometric_or_media'],
    ['client_ip', 'device_or_network'], ['device_fingerprint', 'device_or_network'], ['annual_income', 'income'],
  ])('%s is %s', (name, kind) => expect(kinds(facts(name))).toContain(kind));

  it.each(['file_name', 'company', 'status', 'amount', 'zip', 'storage_uri', 'segment', 'description'])('%s is not personal by its name', (name) => {
    expect(kinds(facts(name))).toEqual([]);
  });

  it('reads types and comments: flags and timestamps are not the data, dates of birth are; comments and blob tables count', () => {
    expect(kinds(facts('phone_verified', 'B', 'bool'))).toEqual([]);
    expect(kinds(facts('email_sent_at', 'D', 'timestamptz'))).toEqual([]);
    expect(kinds(facts('birth_date', 'D', 'date'))).toEqual(['birth_date']);
    expect(kinds(facts('c7', 'S', 'text', 'things', '客户手机号'))).toEqual(['phone']);
    expect(kinds(facts('data', 'U', 'bytea', 'face_images'))).toEqual(['biometric_or_media']);
    expect(kinds(facts('data', 'S', 'text', 'face_images'))).toEqual([]);
  });
});
