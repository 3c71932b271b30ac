// Whole partitions on the reference lender's access logs, partitioned by day by pg_partman: a
// scan drops each wholly due partition in one transaction — a delete evidence row per record
// and a partition_dropped row, a batch row with no keys — and leaves the rest to row batches.
// A legal hold on one subject in a due partition keeps that partition (its other rows go by
// batch, the held row stays); the default partition is never dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, count, type TestDb } from '../helpers.ts';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { partitionsContext, sweepOnce, leafNames, DAY_MS } from './partitions-world.ts';
import { one, rows } from '../../src/db/sql.ts';
import { subjectRef } from '../../src/crypto/keys.ts';
import { addHold, releaseHold } from '../../src/holds/holds.ts';
import { plan } from '../../src/plan/plan.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { findEvidence } from '../../src/evidence/find.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const CUTOFF = new Date(NOW.getTime() - 30 * DAY_MS);
/** A customer seen once, on 2026-02-08: a hold on them reaches that day's partition only. */
const LONE = '999000001';

describe('whole partitions of pg_partman access logs', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  let due: number;
  let holdId: string;
  beforeAll(async () => {
    t = await createTestDb('partitions');
    // 45 days of logs, daily partitions from 38 days ago: the oldest week is in the default partition.
    await partitionedAccessLogs(t.db, { now: NOW, days: 45, perDay: 40, customers: 25, start: new Date(NOW.getTime() - 38 * DAY_MS) });
    await t.db.execute(sql`INSERT INTO access_logs (customer_id, actor, action, written_at) VALUES (${LONE}, 'customer', 'login', '2026-02-08T09:00:00Z')`);
    ({ ctx, rules } = await partitionsContext(t, NOW, 'test/fixtures/partitions'));
    due = await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`);
    holdId = (await addHold(ctx, rules, { subject: LONE, reason: 'litigation', actor: 'test' })).id;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('plan counts the partitions a sweep drops whole, their rows, and the rows left to batches', async () => {
    const [p] = await plan(ctx, rules, { now: NOW });
    const whole = await count(t.db, 'access_logs', sql`written_at >= '2026-02-05' AND written_at < '2026-02-13' AND written_at::date <> '2026-02-08'`);
    expect(p).toMatchObject({ id: 'access-logs', due: due - 1, held: 1, partitions: { whole: 7, whole_rows: whole, batch_rows: due - 1 - whole } });
    expect(await plan(ctx, rules, { now: NOW, wholePartitions: false })).toEqual([expect.not.objectContaining({ partitions: expect.anything() })]);
  });

  it('drops the wholly due partitions, batches the rest, and keeps the held row and the default partition', async () => {
    const before = await leafNames(t.db, 'public', 'access_logs');
    const total = await count(t.db, 'access_logs');
    const { result, dropped } = await sweepOnce(ctx, rules, 'access-logs', NOW);
    expect(result.status).toBe('done');
    expect(dropped.sort()).toEqual(['05', '06', '07', '09', '10', '11', '12'].map((d) => `access_logs_p2026_02_${d}`));
    const after = await leafNames(t.db, 'public', 'access_logs');
    expect(after).toEqual(before.filter((n) => !dropped.includes(n)));
    expect(after).toContain('access_logs_default');
    expect(after).toContain('access_logs_p2026_02_08');
    // Everything due went but the held customer's row, which stays where it was.
    expect(await count(t.db, 'access_logs')).toBe(total - (due - 1));
    expect(await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`)).toBe(1);
    expect(await count(t.db, 'access_logs_p2026_02_08')).toBe(1);
    expect(await count(t.db, 'access_logs_default')).toBe(0);
  });

  it('writes one delete row per record, a partition_dropped row per partition, and a keyless batch row for each', async () => {
    expect(await count(t.db, 'lethe.evidence', sql`action = 'delete' AND "table" = 'public.access_logs'`)).toBe(due - 1);
    const parts = await rows<{ fields: Record<string, string>; batch_id: string; record_ref: string | null; subject_ref: string | null; batch_pos: number }>(t.db,
      sql`SELECT fields, batch_id::text, record_ref, subject_ref, batch_pos FROM lethe.evidence WHERE action = 'partition_dropped' ORDER BY fields->>'from'`);
    expect(parts).toHaveLength(7);
    expect(parts[0]!.fields).toEqual({ partition_dropped: 'public.access_logs_p2026_02_05', from: '2026-02-05 00:00:00+00', to: '2026-02-06 00:00:00+00', records: '40' });
    for (const p of parts) {
      expect(p).toMatchObject({ record_ref: null, subject_ref: null, batch_pos: 0 });
      const batch = await one<{ keys: string[] | null; size: number; destroyed: number; status: string; n: string }>(t.db, sql`SELECT b.keys, b.size, b.destroyed, b.status,
        (SELECT count(*) FROM lethe.evidence e WHERE e.batch_id = b.id AND e.action = 'delete')::text AS n FROM lethe.batches b WHERE b.id = ${p.batch_id}`);
      expect(batch).toEqual({ keys: null, size: Number(p.fields.records), destroyed: Number(p.fields.records), status: 'done', n: p.fields.records });
    }
    const sums = await one<{ destroyed: string }>(t.db, sql`SELECT sum(destroyed)::text AS destroyed FROM lethe.batches`);
    expect(Number(sums!.destroyed)).toBe(due - 1);
    // The register says it beside the records: a partition_dropped line counting partitions, not records.
    const [run] = await buildRegister(t.db, {});
    expect(run!.policies.map((l) => [l.action, l.records])).toEqual([['delete', due - 1], ['partition_dropped', 7]]);
    expect(run!.records).toBe(due - 1);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true, first_broken: null });
  });

  it('finds every record of a subject by `evidence find`, whole partition or batch alike', async () => {
    const subject = '100000007';
    const found = await findEvidence(t.db, ctx.keys, subject);
    const expected = await one<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence WHERE subject_ref = ${subjectRef(ctx.keys, subject)}`);
    expect(found).toHaveLength(Number(expected!.n));
    const batches = new Set(found.map((f) => f.batch_id));
    const whole = await rows<{ id: string }>(t.db, sql`SELECT id::text FROM lethe.batches WHERE keys IS NULL AND id IN (SELECT batch_id FROM lethe.evidence WHERE action = 'partition_dropped')`);
    expect(whole.some((b) => batches.has(b.id))).toBe(true);
    expect(found.every((f) => f.action === 'delete' && f.table === 'public.access_logs')).toBe(true);
  });

  it('drops the kept partition whole once its hold is released', async () => {
    await releaseHold(ctx, holdId, 'case closed', 'test');
    const { dropped } = await sweepOnce(ctx, rules, 'access-logs', NOW);
    expect(dropped).toEqual(['access_logs_p2026_02_08']);
    expect(await count(t.db, 'access_logs', sql`written_at <= ${CUTOFF}`)).toBe(0);
    expect(await leafNames(t.db, 'public', 'access_logs')).toContain('access_logs_default');
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true });
  });
});
