// The default policy pack (policies/) against the reference lender: it loads, the catalog check
// passes with an index for every scan, and for each expiry policy, on records straddling its
// deadline, the plan and a real sweep destroy or anonymise exactly the one just past it and keep
// the one just before it, the one whose clock has not started and the one out of scope.
// Deadlines are computed from the loaded policy, never written here, except the legal figures
// checked in the last test, which come from ../shared/REGULATIONS.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { count, createQueuePrefix, createTestDb, testConfig, type TestDb } from '../helpers.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { packStores } from '../fixtures/s3.ts';

/** The stores the shipped pack's objects: name, pointing nowhere: these tests store no file. */
const PACK_STORES = packStores();
import { checkCatalog } from '../../src/policy/catalog.ts';
import { makeRuleset, type EngineContext, type Ruleset } from '../../src/engine.ts';
import type { Policy } from '../../src/policy/types.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { plan, type PolicyCounts } from '../../src/plan/plan.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { approximateDays, parseDuration, subtractDuration, type Duration } from '../../src/duration.ts';
import { one, rows } from '../../src/db/sql.ts';
import { registry } from '../../jobs/index.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';

const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const NOW = new Date('2026-03-15T12:00:00Z');
const MINUTE = 60_000;

type Clock = Date | null;
/** Inserts one record of the policy's table for `customer` with its clock at `at`; returns its id. */
type Insert = (customer: string, at: Clock, variant?: 'out_of_scope') => SQL;

const ts = (d: Clock) => (d === null ? sql`NULL::timestamptz` : sql`${d.toISOString()}::timestamptz`);

/** One insert per expiry policy of the pack, keyed by policy id. */
const INSERTS: Record<string, Insert> = {
  'customer-profile-anonymise': (_c, at) => sql`INSERT INTO customers (full_name, phone, id_number, email, birth_date, income, city, created_at, relationship_ended_at)
    VALUES ('王小明', '13800000000', '110101199001011234', 'wang@qq.com', '1990-05-17', 123456, '北京', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'kyc-records': (c, at) => sql`INSERT INTO kyc_records (customer_id, id_number, full_name, verified_at, relationship_ended_at)
    VALUES (${c}::bigint, '110101199001011234', '王小明', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'device-risk-events': (c, at) => sql`INSERT INTO device_risk_events (customer_id, device_fingerprint, ip, risk_score, observed_at)
    VALUES (${c}::bigint, 'fp', '10.0.0.1', 12, ${ts(at)}) RETURNING id::text AS id`,
  'rejected-loan-applications': (c, at, v) => sql`WITH a AS (INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${c}::bigint, ${v ? 'approved' : 'rejected'}, 5000, '2005-01-01', ${ts(at)}) RETURNING id),
    d AS (INSERT INTO loan_application_documents (application_id, kind, storage_uri, uploaded_at) SELECT id, 'id_card_front', 'oss://lender-loan-docs/x', '2005-01-01' FROM a)
    SELECT id::text AS id FROM a`,
  'withdrawn-loan-applications': (c, at, v) => sql`WITH a AS (INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${c}::bigint, ${v ? 'approved' : 'withdrawn'}, 5000, '2005-01-01', ${ts(at)}) RETURNING id),
    d AS (INSERT INTO loan_application_documents (application_id, kind, storage_uri, uploaded_at) SELECT id, 'id_card_front', 'oss://lender-loan-docs/x', '2005-01-01' FROM a)
    SELECT id::text AS id FROM a`,
  // applied_at is NOT NULL: the out-of-scope variant is an approved application filed at the same time.
  'abandoned-loan-applications': (c, at, v) => sql`WITH a AS (INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${c}::bigint, ${v ? 'approved' : 'pending'}, 5000, ${ts(at)}, ${v ? ts(at) : sql`NULL`}) RETURNING id),
    d AS (INSERT INTO loan_application_documents (application_id, kind, storage_uri, uploaded_at) SELECT id, 'income_proof', 'oss://lender-loan-docs/x', '2005-01-01' FROM a)
    SELECT id::text AS id FROM a`,
  // Out of scope: a withdrawal not yet recorded (no decided_at), whatever its loan_closed_at says.
  'approved-loan-applications': (c, at, v) => sql`WITH a AS (INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at, loan_closed_at)
      VALUES (${c}::bigint, ${v ? 'withdrawn' : 'approved'}, 5000, '2005-01-01', ${v ? sql`NULL` : sql`'2005-01-02'::timestamptz`}, ${ts(at)}) RETURNING id),
    d AS (INSERT INTO loan_application_documents (application_id, kind, storage_uri, uploaded_at) SELECT id, 'id_card_back', 'oss://lender-loan-docs/x', '2005-01-01' FROM a)
    SELECT id::text AS id FROM a`,
  // The two consent policies split the table by purpose: each one's other purpose is the other's (see below).
  'consent-records': (c, at) => sql`INSERT INTO consents (customer_id, purpose, granted_at, withdrawn_at)
    VALUES (${c}::bigint, 'credit_report', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'marketing-consent-records': (c, at) => sql`INSERT INTO consents (customer_id, purpose, granted_at, withdrawn_at)
    VALUES (${c}::bigint, 'marketing', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'data-sharing-ledger': (c, at) => sql`INSERT INTO data_sharing_ledger (partner_id, customer_id, category, partner_subject_ref, shared_at, ended_at)
    VALUES ('huidai-facilitator', ${c}::bigint, 'loan-application', 'HD-1', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'approved-loan-files': (c, at, v) => sql`WITH a AS (INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${c}::bigint, 'approved', 5000, '2005-01-01', '2005-01-02') RETURNING id)
    INSERT INTO loans (customer_id, application_id, principal, opened_at, settled_at, closed_at, repayment_account, contract_uri)
    SELECT ${c}::bigint, id, 5000, '2005-01-03', ${v ? sql`NULL` : ts(at)}, ${ts(at)}, '6222021234567890123', 'oss://c.pdf' FROM a
    RETURNING id::text AS id`,
  'transaction-records': (c, at) => sql`INSERT INTO transactions (customer_id, amount, occurred_at, counterparty_name)
    VALUES (${c}::bigint, 100, ${ts(at)}, '李四') RETURNING id::text AS id`,
  'credit-negative-records': (c, at) => sql`INSERT INTO credit_negative_records (customer_id, kind, overdue_amount, reported_at, behaviour_ended_at)
    VALUES (${c}::bigint, 'overdue', 300, '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'sales-recordings': (c, at) => sql`INSERT INTO sales_recordings (customer_id, channel, storage_uri, duration_seconds, recorded_at, contract_ended_at)
    VALUES (${c}::bigint, 'phone', 'oss://lender-sales-recordings/r.m4a', 300, '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'face-verification-images': (c, at) => sql`INSERT INTO face_verifications (customer_id, image_uri, similarity, result, verified_at)
    VALUES (${c}::bigint, 'oss://lender-face/f.jpg', 0.95, 'pass', ${ts(at)}) RETURNING id::text AS id`,
  'paper-loan-applications': (c, at, v) => sql`INSERT INTO paper_archive_boxes (customer_id, box_code, location, media_class, document_kind, archived_at, closed_at)
    VALUES (${c}::bigint, 'BX-1', 'SH-ARCH-01/R01/S01', 'paper', ${v ? 'approved_loan_contract' : 'rejected_application_form'}, '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'complaint-records': (c, at) => sql`INSERT INTO complaints (customer_id, channel, category, summary, received_at, closed_at)
    VALUES (${c}::bigint, 'app', 'fees', '王小明 对手续费有异议', '2005-01-01', ${ts(at)}) RETURNING id::text AS id`,
  'access-logs': (c, at) => sql`INSERT INTO access_logs (customer_id, actor, action, ip, user_agent, written_at)
    VALUES (${c}::bigint, 'customer', 'login', '10.0.0.1', 'ua', ${ts(at)}) RETURNING id::text AS id`,
};

/** The policies whose clock column may be NULL (a NULL clock has not started). */
const NULLABLE_CLOCK = new Set(['customer-profile-anonymise', 'kyc-records', 'rejected-loan-applications', 'approved-loan-files',
  'credit-negative-records', 'sales-recordings', 'complaint-records', 'paper-loan-applications', 'withdrawn-loan-applications',
  'approved-loan-applications', 'consent-records', 'marketing-consent-records', 'data-sharing-ledger']);
/** Policies with a `where` that the out_of_scope variant fails. */
const HAS_SCOPE = new Set(['rejected-loan-applications', 'approved-loan-files', 'paper-loan-applications', 'withdrawn-loan-applications',
  'abandoned-loan-applications', 'approved-loan-applications']);

interface Seeded { past: string; before: string; notStarted?: string; outOfScope?: string }

describe('the default policy pack on the reference lender', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let policies: Policy[];
  let rules: Ruleset;
  let ctx: EngineContext;
  const seeded = new Map<string, Seeded>();
  let planned: PolicyCounts[];
  let expiry: Policy[];

  beforeAll(async () => {
    t = await createTestDb('pack');
    q = createQueuePrefix('pack');
    policies = await loadPolicies(PACK);
    expiry = policies.filter((p) => p.trigger.kind === 'expiry');
    rules = (await buildRuleset(t.db, policies, PACK_STORES)).ruleset;
    const cfg = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix });
    ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    // Everyone's records belong to one current customer, whose own profile is not due.
    const owner = (await one<{ id: string }>(t.db, INSERTS['customer-profile-anonymise']!('', null)))!.id;
    const insert = async (p: Policy, at: Clock, v?: 'out_of_scope') => (await one<{ id: string }>(t.db, INSERTS[p.id]!(owner, at, v)))!.id;
    for (const p of expiry) {
      const deadline = subtractDuration(NOW, p.retain);
      const s: Seeded = {
        past: await insert(p, new Date(deadline.getTime() - MINUTE)),
        before: await insert(p, new Date(deadline.getTime() + MINUTE)),
      };
      if (NULLABLE_CLOCK.has(p.id)) s.notStarted = await insert(p, null);
      if (HAS_SCOPE.has(p.id)) s.outOfScope = await insert(p, new Date(deadline.getTime() - MINUTE), 'out_of_scope');
      seeded.set(p.id, s);
    }
    planned = await plan(ctx, rules, { now: NOW, policyIds: expiry.map((p) => p.id) });
    await sweep(ctx, rules, cfg, registry, { actor: 'operator:test', policyIds: expiry.map((p) => p.id) });
  });
  afterAll(async () => {
    await q?.cleanup();
    await t?.drop();
  });

  it('loads whole, one policy per file, and every expiry policy has a case here', () => {
    expect(policies.length).toBeGreaterThanOrEqual(11);
    expect(expiry.map((p) => p.id).sort()).toEqual(Object.keys(INSERTS).sort());
  });

  it('passes the catalog check with an index serving every scan', async () => {
    const r = await checkCatalog(t.db, policies);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('plans exactly the record just past each deadline as due, nothing held or deferred', () => {
    for (const p of expiry) {
      const c = planned.find((x) => x.id === p.id)!;
      expect({ id: p.id, due: c.due, held: c.held, deferred: c.deferred })
        .toEqual({ id: p.id, due: 1, held: 0, deferred: 0 });
      // A manual policy destroys nothing itself: its due line goes into a destruction task.
      if (p.action.kind === 'manual') expect({ destroyed: c.destroyed, action: c.action }).toEqual({ destroyed: 0, action: 'manual' });
      else expect(c[p.action.kind === 'delete' ? 'destroyed' : 'anonymised'], p.id).toBe(1);
    }
  });

  it('destroys or anonymises the record past the deadline and keeps the others as they were', async () => {
    for (const p of expiry) {
      const s = seeded.get(p.id)!;
      const kept = [s.before, s.notStarted, s.outOfScope].filter((x): x is string => x !== undefined);
      const table = `${p.source.schema}.${p.source.table}`;
      const byId = (ids: string[]) => sql`id = ANY(${sql.param(ids)}::bigint[])`;
      if (p.action.kind === 'delete') {
        expect(await count(t.db, table, byId([s.past])), `${p.id}: past the deadline`).toBe(0);
        for (const c of p.children) {
          expect(await count(t.db, `${c.schema}.${c.table}`, sql`${sql.identifier(c.foreignKey)} = ${s.past}::bigint`), `${p.id}: children`).toBe(0);
        }
      } else if (p.action.kind === 'manual') {
        expect(await count(t.db, table, byId([s.past])), `${p.id}: a register line stays until its task is confirmed`).toBe(1);
        expect(await count(t.db, 'lethe.destruction_task_lines', sql`record_key = ${s.past} AND state = 'open'`), `${p.id}: in a task`).toBe(1);
      } else {
        const columns = p.action.fields.map((f) => sql`${sql.identifier(f.column)}::text`);
        const [after] = await rows<{ v: (string | null)[] }>(t.db, sql`SELECT ARRAY[${sql.join(columns, sql`, `)}] AS v FROM ${sql.identifier(p.source.schema)}.${sql.identifier(p.source.table)} WHERE id = ${s.past}::bigint`);
        expect(after, `${p.id}: an anonymised record stays`).toBeDefined();
        const [before] = await rows<{ v: (string | null)[] }>(t.db, sql`SELECT ARRAY[${sql.join(columns, sql`, `)}] AS v FROM ${sql.identifier(p.source.schema)}.${sql.identifier(p.source.table)} WHERE id = ${s.before}::bigint`);
        after!.v.forEach((v, i) => expect(v, `${p.id}.${p.action.kind === 'anonymise' ? p.action.fields[i]!.column : ''}`).not.toBe(before!.v[i]));
      }
      expect(await count(t.db, table, byId(kept)), `${p.id}: kept`).toBe(kept.length);
    }
    const [loan] = await rows<{ repayment_account: string; contract_uri: string | null }>(t.db, sql`SELECT repayment_account, contract_uri FROM loans WHERE id = ${seeded.get('approved-loan-files')!.past}::bigint`);
    expect(loan).toEqual({ repayment_account: '622202*************', contract_uri: null });
  });

  it('defers, never destroys, what a statutory minimum still keeps, even were retain shorter', async () => {
    // The same policies with retain cut to one day: the record before the deadline is now past
    // its retention, and only the floor (from the pack) stands between it and destruction. The
    // record past the deadline went in the sweep (or is anonymised already): it counts no more.
    const oneDay = parseDuration('P1D')!;
    const shortened = makeRuleset(expiry.map((p) => ({ ...p, retain: oneDay })), rules.types);
    const counts = await plan(ctx, shortened, { now: NOW });
    for (const p of expiry) {
      const c = counts.find((x) => x.id === p.id)!;
      const floorCoversBefore = p.minimum !== undefined && p.minimum.from === (p.trigger.kind === 'expiry' ? p.trigger.from : '')
        && approximateDays(p.minimum.period) >= approximateDays(p.retain);
      // A manual policy's past line is still in the register, in its task awaiting the people: counted apart, not due again.
      expect({ id: p.id, deferred: c.deferred, due: c.due, tasked: c.tasked }).toEqual({ id: p.id, deferred: floorCoversBefore ? 1 : 0,
        due: floorCoversBefore ? 0 : 1, tasked: p.action.kind === 'manual' ? 1 : undefined });
    }
  });

  it('carries the figures of REGULATIONS.md', () => {
    const get = (id: string) => policies.find((p) => p.id === id)!;
    const days = (d: Duration | undefined) => (d ? approximateDays(d) : 0);
    const iso = (s: string) => approximateDays(parseDuration(s)!);
    // Statutory floors: AML ten years, Cybersecurity Law six months.
    for (const id of ['kyc-records', 'customer-profile-anonymise', 'approved-loan-files', 'transaction-records']) {
      expect(days(get(id).minimum?.period), id).toBeGreaterThanOrEqual(iso('P10Y'));
    }
    for (const id of ['access-logs', 'device-risk-events']) expect(days(get(id).minimum?.period), id).toBeGreaterThanOrEqual(iso('P6M'));
    // Maxima and "delete promptly": no floor, and no longer than the law allows.
    expect(get('credit-negative-records').minimum).toBeUndefined();
    expect(days(get('credit-negative-records').retain)).toBeLessThanOrEqual(iso('P5Y'));
    expect(get('face-verification-images').minimum).toBeUndefined();
    expect(get('face-verification-images').classification).toBe('C3');
    expect(get('access-logs').classification).toBe('C1');
    expect(get('rejected-loan-applications').children.map((c) => c.table)).toEqual(['loan_application_documents']);
    for (const p of policies) expect(p.basis.length, p.id).toBeGreaterThan(0);
    // 征信业管理条例 art. 16: five years is a ceiling the credit policy carries.
    expect(get('credit-negative-records').maximum?.period.iso).toBe('P5Y');
  });

  it('keeps a marketing consent while its customer still has a marketing profile, then lets it go', async () => {
    const p = policies.find((x) => x.id === 'marketing-consent-records')!;
    const customer = (await one<{ id: string }>(t.db, INSERTS['customer-profile-anonymise']!('', null)))!.id;
    await one(t.db, INSERTS['marketing-consent-records']!(customer, subtractDuration(NOW, parseDuration('P4Y')!)));
    await t.db.execute(sql`INSERT INTO marketing_profiles (customer_id, phone, email, segment, created_at, updated_at)
      VALUES (${customer}::bigint, '13800000001', 'a@b.cn', 'young', '2005-01-01', '2005-01-01')`);
    const due = async (id = p.id) => (await plan(ctx, rules, { now: NOW, subject: customer, policyIds: [id] }))[0]!.due;
    expect(await due()).toBe(0);
    await t.db.execute(sql`DELETE FROM marketing_profiles WHERE customer_id = ${customer}::bigint`);
    expect(await due()).toBe(1);
    // The other consent policy takes only the other purposes.
    expect(await due('consent-records')).toBe(0);
  });

  it('deletes an approved application and its documents after the AML ten years, and the loan outlives it, unlinked', async () => {
    const customer = (await one<{ id: string }>(t.db, INSERTS['customer-profile-anonymise']!('', null)))!.id;
    const closed = subtractDuration(NOW, parseDuration('P10Y1D')!);
    const app = (await one<{ id: string }>(t.db, INSERTS['approved-loan-applications']!(customer, closed)))!.id;
    const [loan] = await rows<{ id: string }>(t.db, sql`INSERT INTO loans (customer_id, application_id, principal, opened_at, settled_at, closed_at)
      VALUES (${customer}::bigint, ${app}::bigint, 5000, '2005-01-03', ${closed.toISOString()}::timestamptz, ${closed.toISOString()}::timestamptz) RETURNING id::text AS id`);
    const only = (await buildRuleset(t.db, policies.filter((p) => p.id === 'approved-loan-applications'), PACK_STORES)).ruleset;
    await sweepInline(ctx, only);
    expect(await count(t.db, 'loan_applications', sql`id = ${app}::bigint`)).toBe(0);
    expect(await count(t.db, 'loan_application_documents', sql`application_id = ${app}::bigint`)).toBe(0);
    expect(await rows(t.db, sql`SELECT application_id FROM loans WHERE id = ${loan!.id}::bigint`)).toEqual([{ application_id: null }]);
  });

  it('cites laws, never a file outside the repository', () => {
    for (const p of policies) {
      const comments = p.text.split('\n').filter((l) => l.includes('#')).join('\n');
      expect(comments, p.id).not.toMatch(/(?:^|[\s(])(?:~|\.\.)\/|(?:^|[\s(])\/(?:work|home|Users|root|tmp|etc|var|opt|srv|mnt)\/|[A-Za-z]:\\/);
      // A file a comment names is one of the pack's own (another policy), or at the repository root.
      for (const [name] of comments.matchAll(/[\w./-]+\.(?:md|ya?ml|txt|pdf|docx?)\b/g)) {
        expect(existsSync(join(PACK, name)) || existsSync(join(PACK, '..', name)), `${p.id} names ${name}`).toBe(true);
      }
    }
  });

  it('calls pseudonymised records pseudonymised, in the evidence and the register', async () => {
    const fieldsOf = async (id: string) => (await rows<{ f: Record<string, string> }>(t.db, sql`SELECT fields AS f FROM lethe.evidence
      WHERE policy_id = ${id} AND action = 'anonymise'`)).map((r) => r.f['de-identification']);
    // ID prefix, birth year, income band, keyed e-mail hash: pseudonymised (PIPL art. 73).
    expect(await fieldsOf('customer-profile-anonymise')).toEqual(['pseudonymised']);
    expect(await fieldsOf('approved-loan-files')).toEqual(['pseudonymised']);
    // Only the counterparty name removed: columns removed, and still not called anonymous.
    expect(await fieldsOf('transaction-records')).toEqual(['columns-removed']);
    const lines = (await buildRegister(t.db, {})).flatMap((r) => r.policies).filter((l) => l.action === 'anonymise');
    expect(Object.fromEntries(lines.map((l) => [l.policy_id, l.de_identification]))).toEqual({
      'customer-profile-anonymise': 'pseudonymised', 'approved-loan-files': 'pseudonymised', 'transaction-records': 'columns-removed',
    });
    for (const p of policies) {
      if (p.action.kind === 'anonymise') expect(p.title, p.id).not.toMatch(/匿名/);
      // "anonymous" only ever denied: "not anonymous".
      expect(p.text, p.id).not.toMatch(/(?<!not )\banonymous\b/i);
    }
  });
});
