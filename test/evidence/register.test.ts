// The destruction register: grouped by run and policy, its numbers are the database's, and the
// JSON export carries it beside the seals and records an offline verifier needs.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { buildRegister, type RegisterRun } from '../../src/evidence/register.ts';
import { exportEvidence, EXPORT_FORMAT_ID, type ExportOptions } from '../../src/evidence/export.ts';
import { readPolicyRule, servedByRule } from '../../src/evidence/policy-rule.ts';
import { arrayParam, rows } from '../../src/db/sql.ts';
import { count } from '../helpers.ts';
import { buildWorld, ERASED_AT, SWEPT_AT, type World } from './register-world.ts';

let w: World;
beforeAll(async () => {
  w = await buildWorld('register');
}, 60_000);
afterAll(async () => w?.t.drop());

async function exported(opts: Omit<ExportOptions, 'out' | 'evidenceKey'>): Promise<string> {
  const chunks: string[] = [];
  const out = new Writable({ write(c: Buffer, _e, done) { chunks.push(c.toString('utf8')); done(); } });
  await exportEvidence(w.t.db, { ...opts, out, evidenceKey: w.ctxAt(new Date()).keys.evidenceKey });
  out.end();
  await finished(out);
  return chunks.join('');
}

const DAY = 86_400_000;
const line = (run: RegisterRun | undefined, policy: string, action: string) => run?.policies.find((l) => l.policy_id === policy && l.action === action);

describe('destruction register', () => {
  it('groups by run, with who executed it and the runs table facts; approval is empty until manual purges', async () => {
    const reg = await buildRegister(w.t.db, {});
    expect(reg.map((r) => r.run_id)).toEqual([w.sweepRun, w.erasureRun]);
    const [sweep, erasure] = reg;
    expect(sweep).toMatchObject({ kind: 'sweep', trigger: 'expiry', executed_by: 'test', approved_by: null, started_at: SWEPT_AT.toISOString() });
    expect(erasure).toMatchObject({ kind: 'erasure', trigger: 'erasure_request', executed_by: 'operator:amy', approved_by: null });
    for (const run of reg) {
      const n = await count(w.t.db, 'lethe.evidence', sql`run_id = ${run.run_id}::uuid`);
      expect(run.records + run.child_rows + run.other_records).toBe(n);
      // Records are what was destroyed: a deferral under a floor is evidence, not a record destroyed.
      const destroyed = await count(w.t.db, 'lethe.evidence', sql`run_id = ${run.run_id}::uuid AND action IN ('delete', 'anonymise', 'destroyed_manually')`);
      expect(run.records + run.child_rows).toBe(destroyed);
    }
    expect(erasure!.other_records).toBe(w.lender.kycFloorRunning.length);
  });

  it('per policy: how many records and child rows, as the seeded lender and the evidence table say', async () => {
    const [sweep, erasure] = await buildRegister(w.t.db, {});
    // Held applications stay; every due application goes with its two documents.
    const apps = line(sweep, 'rejected-loan-applications', 'delete')!;
    expect(apps).toMatchObject({ records: w.lender.dueApps.length, child_rows: w.lender.dueDocs.length, table: 'public.loan_applications', category: 'loan-application', classification: 'C3', trigger: 'expiry' });
    expect(await count(w.t.db, 'loan_applications', sql`id = ANY(${arrayParam(w.lender.dueApps)}::bigint[])`)).toBe(0);
    const kyc = line(sweep, 'kyc-records', 'delete')!;
    expect(kyc.records).toBe(w.lender.kycOld.length);
    // The erasure request took the fresh applications (one document each) and deferred the KYC record whose floor runs.
    expect(line(erasure, 'rejected-loan-applications', 'delete')).toMatchObject({ records: w.lender.freshApps.length, child_rows: w.lender.otherDocs.length, trigger: 'erasure_request' });
    expect(line(erasure, 'kyc-records', 'deferred')).toMatchObject({ records: w.lender.kycFloorRunning.length, child_rows: 0, served_at_least_per_rule: null });
    const db = await rows<{ policy_id: string; action: string; n: string }>(w.t.db, sql`SELECT policy_id, action, count(*)::text AS n FROM lethe.evidence GROUP BY 1, 2`);
    for (const d of db) {
      const sum = [sweep!, erasure!].flatMap((r) => r.policies).filter((l) => l.policy_id === d.policy_id && (l.action === d.action || (d.action === 'delete' && l.child_rows > 0)))
        .reduce((s, l) => s + (l.action === d.action ? l.records : 0) + (d.action === 'delete' ? l.child_rows : 0), 0);
      expect(sum, `${d.policy_id}/${d.action}`).toBe(Number(d.n));
    }
  });

  it('retention owed comes from the policy version; served is what the rule guarantees, with the latest clock start', async () => {
    const [sweep, erasure] = await buildRegister(w.t.db, {});
    const apps = line(sweep, 'rejected-loan-applications', 'delete')!;
    expect(apps).toMatchObject({ retain_owed: 'P30D', minimum_owed: null, clock: 'decided_at', served_at_least_per_rule: 'P30D since decided_at' });
    expect(apps.clock_started_on_or_before).toBe(new Date(SWEPT_AT.getTime() - 30 * DAY).toISOString());
    expect(apps.first_occurred_at).toBe(SWEPT_AT.toISOString());
    const kyc = line(sweep, 'kyc-records', 'delete')!;
    expect(kyc).toMatchObject({ retain_owed: 'P30D', minimum_owed: 'P10Y', served_at_least_per_rule: 'P30D since relationship_ended_at; P10Y since relationship_ended_at (statutory minimum)' });
    // An erasure request ignores retain: only a floor (none here) was served.
    expect(line(erasure, 'rejected-loan-applications', 'delete')).toMatchObject({ served_at_least_per_rule: 'none: erasure request, no statutory minimum', clock_started_on_or_before: null, last_occurred_at: ERASED_AT.toISOString() });
  });

  it('reads overridden periods from the version text (the override is recorded there)', () => {
    const rule = readPolicyRule('id: x\nsource: { table: a.b }\ntrigger: { kind: expiry, from: at }\nretain: P30D\naction: delete\n# Overridden for this deployment by o.yaml (LETHE_POLICY_OVERRIDES):\n#   retain: P90D   (policy file: P30D)\n');
    expect(rule).toMatchObject({ table: 'a.b', retain: 'P90D', action: 'delete', clock: 'at', minimum: null });
    expect(readPolicyRule(': not yaml [')).toMatchObject({ table: null, retain: null });
  });

  it('reads who set a floor (a version from before floor kinds deferred every erasure: law) and what anonymising left', () => {
    const text = (minimum: string) => `id: x\nsource: { table: a.b }\ntrigger: { kind: expiry, from: at }\nretain: P6M\n${minimum}action: { anonymise: { phone: null, email: hmac } }\n`;
    const old = readPolicyRule(text('minimum: { period: P6M, from: at, basis: [x] }\n'));
    expect(old).toMatchObject({ minimumKind: 'law', deidentification: 'pseudonymised' });
    const analogy = readPolicyRule(text('minimum: { period: P6M, from: at, basis: [x], kind: analogy }\n'));
    expect(analogy.minimumKind).toBe('analogy');
    expect(readPolicyRule(text('')).minimumKind).toBeNull();
    expect(readPolicyRule('id: x\naction: { anonymise: { name: redact, phone: null } }\n').deidentification).toBe('columns-removed');
    expect(readPolicyRule('id: x\naction: delete\n').deidentification).toBeNull();
    // An erasure request served a law's floor; it overrode any other.
    const at = '2030-01-01T00:00:00.000Z';
    expect(servedByRule(old, 'erasure_request', 'anonymise', at).atLeast).toBe('P6M since at (statutory minimum)');
    expect(servedByRule(analogy, 'erasure_request', 'anonymise', at).atLeast).toBe('none: erasure request; the minimum P6M (analogy, not set by a law) yields to it');
    expect(servedByRule(analogy, 'expiry', 'anonymise', at).atLeast).toBe('P6M since at; P6M since at (minimum, analogy)');
  });

  it('the JSON export carries format, range, the register, the seals and every record', async () => {
    const doc = JSON.parse(await exported({ format: 'json' })) as { format: string; range: unknown; runs: RegisterRun[]; seals: { batch_id: string }[]; records: { batch_id: string }[] };
    expect(doc.format).toBe(EXPORT_FORMAT_ID);
    expect(doc.range).toEqual({ from: null, to: null });
    expect(doc.runs).toEqual(await buildRegister(w.t.db, {}));
    expect(doc.seals.length).toBe(await count(w.t.db, 'lethe.evidence_seals'));
    expect(doc.records.length).toBe(await count(w.t.db, 'lethe.evidence'));
    expect(new Set(doc.records.map((r) => r.batch_id))).toEqual(new Set(doc.seals.map((s) => s.batch_id)));
    // A range holding only the erasure: its register, and the stretch of seals that covers it.
    const part = JSON.parse(await exported({ format: 'json', from: new Date(SWEPT_AT.getTime() + 1) })) as typeof doc;
    expect(part.runs.map((r) => r.run_id)).toEqual([w.erasureRun]);
    expect(new Set(part.records.map((r) => r.batch_id))).toEqual(new Set(part.seals.map((s) => s.batch_id)));
    expect(JSON.stringify(doc)).not.toMatch(new RegExp(w.lender.values.filter((v) => v.length > 4).join('|')));
  });

  it('csv stays one line per record', async () => {
    const csv = await exported({ format: 'csv' });
    expect(csv.trimEnd().split('\r\n')).toHaveLength(1 + await count(w.t.db, 'lethe.evidence'));
  });
});
