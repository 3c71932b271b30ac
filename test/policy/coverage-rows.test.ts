// `lethe policies coverage --rows` on a schema lethe's authors did not design: German names,
// text keys, a status value no policy names, NULL statuses, an orphan child, many rows sharing
// one clock value. The gate names table, value and count, and passes once a policy or an
// allow-list entry with a reason covers every row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../helpers.ts';
import { ROOT, runCli } from '../cli/run-cli.ts';
import type { RowCoverage } from '../../src/policy/coverage-rows.ts';
import { seedLender } from '../../src/lender/seed.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { systemClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { TEST_SECRET } from '../helpers.ts';
import { packStores } from '../fixtures/s3.ts';

const policy = (id: string, where: string) => `id: ${id}
title: ${id}
category: antrag
classification: C2
basis: [个人信息保护法 第四十七条]
source: { table: crm.antrag, key: nr, subject: kunde, where: ${where} }
trigger: { kind: expiry, from: entschieden }
retain: P30D
action: delete
children:
  - { table: crm.anlage, key: anlage_id, foreign_key: antrag_nr }
`;

describe('policies coverage --rows', () => {
  let t: TestDb;
  let dir: string;
  let policies: string;
  const coverage = async (args: string[]) => {
    const r = await runCli(['policies', 'coverage', '--rows', '--policies', policies, ...args], { DATABASE_URL: t.url, LOG_LEVEL: 'silent' }, { cwd: dir });
    return { ...r, rows: args.includes('--json') && r.stdout ? (JSON.parse(r.stdout) as { rows: RowCoverage }).rows : undefined };
  };
  const table = (r: RowCoverage | undefined, name: string) => r!.tables.find((x) => x.table === name)!;

  beforeAll(async () => {
    t = await createTestDb('rowcov');
    dir = await mkdtemp(join(tmpdir(), 'lethe-rowcov-'));
    policies = join(dir, 'policies');
    await mkdir(policies);
    // Only this schema: the reference lender's tables are not part of this deployment.
    await t.db.execute(sql.raw(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;
      CREATE SCHEMA crm;
      CREATE TABLE crm.antrag (nr text PRIMARY KEY, kunde text NOT NULL, zustand text, entschieden timestamptz);
      CREATE TABLE crm.anlage (anlage_id text PRIMARY KEY, antrag_nr text REFERENCES crm.antrag (nr), pfad text NOT NULL);
      INSERT INTO crm.antrag SELECT 'A-' || n, 'K-' || (n % 3), CASE WHEN n <= 3 THEN 'abgelehnt' WHEN n <= 7 THEN 'in_pruefung' ELSE NULL END,
        '2024-01-01T00:00:00Z' FROM generate_series(1, 9) AS n;
      INSERT INTO crm.anlage SELECT 'D-' || n || '-' || k, 'A-' || n, 'x' FROM generate_series(1, 7) AS n, generate_series(1, 2) AS k;
      INSERT INTO crm.anlage VALUES ('D-orphan', NULL, 'x')`));
    await writeFile(join(policies, 'abgelehnte-antraege.yaml'), policy('abgelehnte-antraege', '{ zustand: abgelehnt }'));
  });
  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('names each table, the status value no policy names and its count, and exits 1', async () => {
    const r = await coverage(['--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(table(r.rows, 'crm.antrag')).toEqual({
      table: 'crm.antrag', read_by: ['abgelehnte-antraege'], ungoverned: 6, more_groups: 0,
      by: [{ values: { zustand: 'in_pruefung' }, rows: 4 }, { values: { zustand: null }, rows: 2 }],
    });
    // Documents go with their application: those of applications no policy governs, and the orphan.
    expect(table(r.rows, 'crm.anlage')).toEqual({
      table: 'crm.anlage', read_by: ['abgelehnte-antraege'], ungoverned: 9, more_groups: 0,
      by: [{ values: { 'crm.antrag.zustand': 'in_pruefung' }, rows: 8 }, { values: { 'no crm.antrag row': 'true' }, rows: 1 }],
    });
    const human = await coverage([]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/crm\.antrag\s+6\s+zustand = in_pruefung: 4; zustand is null: 2\s+abgelehnte-antraege/);
    expect(human.stdout).toMatch(/crm\.anlage\s+9\s+crm\.antrag\.zustand = in_pruefung: 8; no crm\.antrag row: 1/);
  });

  it('passes once a policy governs the other status and the allow-list takes the rest, each with its reason', async () => {
    await writeFile(join(policies, 'offene-antraege.yaml'), policy('offene-antraege', '{ zustand: in_pruefung }').replace('retain: P30D', 'retain: P1Y'));
    const allow = join(dir, 'coverage-allow.yaml');
    await writeFile(allow, `- table: crm.antrag
  where: { zustand: { is_null: true } }
  reason: drafts the front end never submitted; its own job deletes them after a day
- table: crm.anlage
  where: { antrag_nr: { is_null: true } }
  reason: uploads not yet attached to an application; the upload service deletes them after a day
- table: crm.anlage
  where: { pfad: never-matches }
  reason: an entry that matches no row is reported as stale
`);
    const r = await coverage(['--json']);
    expect(r.stderr).toContain('coverage-allow.yaml:7:3: warning: crm.anlage is allowed but nothing there is reported');
    // The NULL-status application's documents: none here (only 1..7 have documents).
    expect(r.rows!.tables.map((x) => [x.table, x.ungoverned])).toEqual([['crm.anlage', 0], ['crm.antrag', 0]]);
    expect(r.rows!.allowed).toEqual([
      { table: 'crm.anlage', where: ['antrag_nr is null'], rows: 1, reason: expect.stringContaining('upload service'), allowed_at: 'coverage-allow.yaml:4:3' },
      { table: 'crm.antrag', where: ['zustand is null'], rows: 2, reason: expect.stringContaining('drafts'), allowed_at: 'coverage-allow.yaml:1:3' },
    ]);
    expect(r.code, r.stdout).toBe(0);
    await rm(join(policies, 'offene-antraege.yaml'));
    await rm(allow);
  });

  it('refuses an allow-list entry naming both a column and rows, or a column the table lacks', async () => {
    const allow = join(dir, 'bad-allow.yaml');
    await writeFile(allow, '- { table: crm.antrag, column: kunde, where: { zustand: x }, reason: a reason long enough }\n- { table: crm.antrag, where: { status: x }, reason: a reason long enough }\n');
    const r = await coverage(['--allow', allow]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${allow}:1:39: an entry names a column (column audit) or rows (where, for --rows), not both`);
    await writeFile(allow, '- { table: crm.antrag, where: { status: x }, reason: a reason long enough }\n');
    const r2 = await coverage(['--allow', allow]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${allow}:1:3: column status does not exist in crm.antrag`);
  });

  it('reads nothing of a table a policy governs whole, and treats NULL in a condition as ungoverned, never as governed', async () => {
    await t.db.execute(sql.raw(`CREATE TABLE crm.notiz (id bigint PRIMARY KEY, kunde text, art text, am timestamptz);
      INSERT INTO crm.notiz SELECT n, 'K-1', CASE WHEN n % 2 = 0 THEN 'x' END, now() FROM generate_series(1, 4) AS n`));
    const notes = (where: string) => `id: notizen\ntitle: n\ncategory: n\nclassification: C1\nbasis: [b]\nsource: { table: crm.notiz, key: id, subject: kunde${where} }\ntrigger: { kind: expiry, from: am }\nretain: P1Y\naction: delete\n`;
    await writeFile(join(policies, 'notizen.yaml'), notes(''));
    expect(table((await coverage(['--json'])).rows, 'crm.notiz')).toMatchObject({ ungoverned: 0, by: [] });
    // `art <> y` does not match NULL: those rows are nobody's, and the report says so.
    await writeFile(join(policies, 'notizen.yaml'), notes(', where: { art: { not: y } }'));
    expect(table((await coverage(['--json'])).rows, 'crm.notiz')).toMatchObject({ ungoverned: 2, by: [{ values: { art: null }, rows: 2 }] });
    await rm(join(policies, 'notizen.yaml'));
  });
});

describe('policies coverage --rows on the reference lender', () => {
  let t: TestDb;
  const coverage = async () => {
    const r = await runCli(['policies', 'coverage', '--rows', '--json'], { DATABASE_URL: t.url, LOG_LEVEL: 'silent' }, { cwd: ROOT });
    return { ...r, report: r.stdout ? JSON.parse(r.stdout) as { rows: RowCoverage } : undefined };
  };

  beforeAll(async () => {
    t = await createTestDb('rowcov_lender');
    await seedLender(t.db, { customers: 300, seed: 42 });
  });
  afterAll(async () => t?.drop());

  it('passes with the shipped pack and allow-list, before and after a sweep: every application, document, consent and ledger row has a policy', async () => {
    const before = await coverage();
    expect(before.stderr).toBe('');
    expect(before.code, before.stdout).toBe(0);
    const read = before.report!.rows.tables.map((x) => x.table);
    expect(read).toEqual(expect.arrayContaining(['public.loan_applications', 'public.loan_application_documents', 'public.consents', 'public.data_sharing_ledger']));
    // The one deliberate exclusion: loans whose debt is unsettled, with its reason.
    expect(before.report!.rows.allowed.map((a) => [a.table, a.where])).toEqual([['public.loans', ['settled_at is null']]]);

    const policies = (await loadPolicies(join(ROOT, 'policies'))).filter((p) => p.action.kind !== 'manual');
    const rules = (await buildRuleset(t.db, policies, packStores())).ruleset;
    await sweepInline({ db: t.db, keys: deriveKeys(TEST_SECRET), clock: systemClock, log: silentLogger }, rules, 500);
    const after = await coverage();
    expect(after.code, after.stdout).toBe(0);
    expect(after.report!.rows.tables.every((x) => x.ungoverned === 0)).toBe(true);
  });
});
