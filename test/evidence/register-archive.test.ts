// The destruction register outlives the evidence behind it (会计档案管理办法: the destruction
// register is kept permanently; PIPL art. 56 lets evidence go after three years): a prune keeps
// one register line per run, policy, trigger, action and table — counts, who, when, basis — and
// the register, its HTML and the JSON export still show them; the archive is append-only and
// `evidence verify` catches a change made around that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { createTestDb, count, TEST_SECRET, type TestDb } from '../helpers.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { describeError, silentLogger } from '../../src/log.ts';
import { appendEvidence, type EvidenceInput } from '../../src/evidence/append.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { pruneEvidence } from '../../src/evidence/prune.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { exportEvidence } from '../../src/evidence/export.ts';
import { verifyExportFile } from '../../src/evidence/offline.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../../src/duration.ts';
import type { EngineContext } from '../../src/engine.ts';
import { rows } from '../../src/db/sql.ts';

const keys = deriveKeys(TEST_SECRET);
const YEAR = 365.25 * 86_400_000;
const P3Y = parseDuration('P3Y')!;
const POLICY = `id: old-applications
source: { table: public.loan_applications }
trigger: { kind: expiry, from: decided_at }
retain: P30D
basis:
  - 个人信息保护法 第四十七条
action: delete
`;
// A version is the sha256 of the policy text it names (evidence verify checks it).
const VERSION = createHash('sha256').update(POLICY, 'utf8').digest('hex');

describe('the register of pruned evidence', () => {
  let t: TestDb;
  const run = randomUUID();
  const old = new Date(Date.now() - 5 * YEAR);
  const recent = new Date(Date.now() - YEAR);
  const ctx = (): EngineContext => ({ db: t.db, keys, clock: fixedClock(new Date()), log: silentLogger });
  const evidence = (n: number, table: string, at: Date): EvidenceInput[] => Array.from({ length: n }, (_, i) => ({
    runId: run, policyId: 'old-applications', policyVersion: VERSION, category: 'loan-application', classification: 'C3', trigger: 'expiry',
    action: 'delete', table, recordRef: `r-${table}-${i}-${at.getTime()}`, subjectRef: `s${i}`, fields: null, partner: null, actor: 'operator:wang', occurredAt: at,
  }));

  beforeAll(async () => {
    t = await createTestDb('regarchive');
    await t.db.execute(sql`INSERT INTO lethe.policy_versions (policy_id, version, file_name, source) VALUES ('old-applications', ${VERSION}, 'old-applications.yaml', ${POLICY})`);
    await t.db.execute(sql`INSERT INTO lethe.runs (id, kind, trigger, actor, status, started_at, finished_at)
      VALUES (${run}, 'sweep', 'expiry', 'operator:wang', 'done', ${old}, ${recent})`);
    // One run whose evidence spans the cutoff: three records and two child rows five years ago, one record a year ago.
    await t.db.transaction(async (tx) => { await appendEvidence(tx, keys, randomUUID(), [...evidence(3, 'public.loan_applications', old), ...evidence(2, 'public.loan_application_documents', old)], old); });
    await t.db.transaction(async (tx) => { await appendEvidence(tx, keys, randomUUID(), evidence(1, 'public.loan_applications', recent), recent); });
  });
  afterAll(async () => t?.drop());

  it('keeps counts, who, when and basis of what a prune removes, and the register still shows the whole run', async () => {
    const before = await buildRegister(t.db, {});
    expect(await pruneEvidence(ctx(), P3Y, 'operator:dpo')).toMatchObject({ seals: 1, records: 5 });
    expect(await count(t.db, 'lethe.evidence')).toBe(1);
    expect(await rows(t.db, sql`SELECT run_id::text, records, "table", executed_by, basis, pruned_by FROM lethe.register_archive ORDER BY "table"`)).toEqual([
      { run_id: run, records: 2, table: 'public.loan_application_documents', executed_by: 'operator:wang', basis: ['个人信息保护法 第四十七条'], pruned_by: 'operator:dpo' },
      { run_id: run, records: 3, table: 'public.loan_applications', executed_by: 'operator:wang', basis: ['个人信息保护法 第四十七条'], pruned_by: 'operator:dpo' },
    ]);
    // How many, never which: no record or subject refs are kept.
    const columns = (await rows<{ c: string }>(t.db, sql`SELECT column_name AS c FROM information_schema.columns
      WHERE table_schema = 'lethe' AND table_name = 'register_archive'`)).map((r) => r.c);
    expect(columns.filter((c) => /ref|subject|key/.test(c))).toEqual([]);
    const after = await buildRegister(t.db, {});
    // The same run, the same counts as before the prune; 5 of them now pruned.
    expect(after.map((r) => ({ run: r.run_id, records: r.records, child_rows: r.child_rows, by: r.executed_by })))
      .toEqual(before.map((r) => ({ run: r.run_id, records: r.records, child_rows: r.child_rows, by: r.executed_by })));
    expect(after[0]!.policies).toEqual([expect.objectContaining({ policy_id: 'old-applications', records: 4, child_rows: 2, pruned: 5,
      basis: ['个人信息保护法 第四十七条'], first_occurred_at: old.toISOString(), last_occurred_at: recent.toISOString() })]);
    expect(await verifyEvidence(t.db, keys)).toEqual({ ok: true, records: 1, first_broken: null });
  });

  it('the run row gone, the archive still says who ran it and when', async () => {
    await t.db.execute(sql`DELETE FROM lethe.runs WHERE id = ${run}`);
    const [r] = await buildRegister(t.db, {});
    expect(r).toMatchObject({ run_id: run, kind: 'sweep', executed_by: 'operator:wang', started_at: old.toISOString(), finished_at: recent.toISOString() });
  });

  it('the HTML register and the JSON export show the pruned line; the export still verifies offline', async () => {
    const chunks: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
    await exportEvidence(t.db, { format: 'html', out: sink, evidenceKey: keys.evidenceKey });
    expect(chunks.join('')).toMatch(/class="n records">4<br><span class="note pruned">5 pruned<\/span>/);
    chunks.length = 0;
    await exportEvidence(t.db, { format: 'json', out: sink, evidenceKey: keys.evidenceKey });
    const text = chunks.join('');
    expect(JSON.parse(text).runs[0].policies[0]).toMatchObject({ records: 4, pruned: 5 });
    const file = join(await mkdtemp(join(tmpdir(), 'lethe-regarchive-')), 'export.json');
    await writeFile(file, text);
    expect(await verifyExportFile(file, { evidenceKey: keys.evidenceKey, verifyKey: undefined })).toMatchObject({ ok: true, records: 1, first_broken: null });
  });

  it('is append-only, even inside a prune, and a change made around that is caught by verify', async () => {
    for (const statement of [sql`UPDATE lethe.register_archive SET records = 1`, sql`DELETE FROM lethe.register_archive`, sql`TRUNCATE lethe.register_archive`]) {
      const refused = await t.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT set_config('lethe.pruning', 'on', true)`);
        await tx.execute(statement);
      }).catch((e: unknown) => describeError(e));
      // The trigger's own words are withheld from logs (they could carry values); its code is insufficient_privilege.
      expect(refused).toMatch(/^PostgreSQL error 42501/);
    }
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`UPDATE lethe.register_archive SET records = records - 1 WHERE "table" = 'public.loan_applications'`);
      const r = await verifyEvidence(tx, keys);
      expect(r.ok).toBe(false);
      expect(r.first_broken!.reason).toMatch(/register archive row \d+ was altered, removed or inserted/);
      throw new Error('rollback');
    }).catch((e: Error) => { if (e.message !== 'rollback') throw e; });
    expect((await verifyEvidence(t.db, keys)).ok).toBe(true);
  });
});
