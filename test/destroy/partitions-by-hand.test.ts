// Whole partitions on a table partitioned by hand, with nothing of the reference lender: text
// keys and subjects, a date clock, partitions named as a DBA might (quotes, spaces, capitals),
// a MINVALUE lower bound, a floor on another column, a `where` the partitions do not follow and
// a declared child table. Only the partition whose every row is due and nothing keeps goes
// whole; a `where` selecting part of one, or one floored row, sends it to row batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, count, type TestDb } from '../helpers.ts';
import { partitionsContext, sweepOnce, leafNames } from './partitions-world.ts';
import { rows } from '../../src/db/sql.ts';
import { recordRef } from '../../src/crypto/keys.ts';
import { plan } from '../../src/plan/plan.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const OLDEST = `Q3 '25 "old"`;

describe('whole partitions of a table partitioned by hand', () => {
  let t: TestDb;
  let ctx: EngineContext;
  let rules: Ruleset;
  beforeAll(async () => {
    t = await createTestDb('partitions_hand');
    await t.db.execute(sql`CREATE SCHEMA telemetry`);
    await t.db.execute(sql`CREATE TABLE telemetry.device_events (event_id text NOT NULL, user_ref text, kind text NOT NULL,
      seen_on date NOT NULL, settled_at timestamptz, PRIMARY KEY (event_id, seen_on)) PARTITION BY RANGE (seen_on)`);
    await t.db.execute(sql`CREATE INDEX ON telemetry.device_events (seen_on)`);
    await t.db.execute(sql`CREATE TABLE telemetry.${sql.identifier(OLDEST)} PARTITION OF telemetry.device_events FOR VALUES FROM (MINVALUE) TO ('2025-10-01')`);
    for (const [name, from, to] of [['Oct 2025', '2025-10-01', '2025-11-01'], ['Nov 2025', '2025-11-01', '2025-12-01'],
      ['Dec 2025', '2025-12-01', '2026-01-01'], ['2026 q1', '2026-01-01', '2026-04-01']]) {
      await t.db.execute(sql`CREATE TABLE telemetry.${sql.identifier(name!)} PARTITION OF telemetry.device_events FOR VALUES FROM (${sql.raw(`'${from}'`)}) TO (${sql.raw(`'${to}'`)})`);
    }
    await t.db.execute(sql`CREATE TABLE telemetry.later PARTITION OF telemetry.device_events DEFAULT`);
    await t.db.execute(sql`CREATE TABLE telemetry.event_notes (note_id bigint PRIMARY KEY, event_ref text NOT NULL)`);
    await t.db.execute(sql`CREATE INDEX ON telemetry.event_notes (event_ref)`);
    // Every 3 days from 2025-06-01 to 2026-03-13; settled long ago (floor passed) unless said otherwise.
    await t.db.execute(sql`INSERT INTO telemetry.device_events (event_id, user_ref, kind, seen_on, settled_at)
      SELECT 'ev-' || lpad(g::text, 5, '0'), 'u-' || (g % 7), CASE WHEN g % 2 = 0 THEN 'view' ELSE 'click' END,
        date '2025-06-01' + g * 3, timestamptz '2024-01-01'
      FROM generate_series(0, 94) g`);
    // October holds one purchase, which the policy does not govern; November one record whose floor still runs.
    await t.db.execute(sql`UPDATE telemetry.device_events SET kind = 'purchase' WHERE seen_on = (SELECT min(seen_on) FROM telemetry.device_events WHERE seen_on >= '2025-10-01')`);
    await t.db.execute(sql`UPDATE telemetry.device_events SET settled_at = '2026-01-01' WHERE seen_on = (SELECT min(seen_on) FROM telemetry.device_events WHERE seen_on >= '2025-11-01')`);
    await t.db.execute(sql`INSERT INTO telemetry.device_events VALUES ('ev-late', 'u-1', 'view', '2026-07-01', '2024-01-01')`);
    await t.db.execute(sql`INSERT INTO telemetry.event_notes SELECT row_number() OVER (), event_id FROM telemetry.device_events, generate_series(1, 2)`);
    ({ ctx, rules } = await partitionsContext(t, NOW, 'test/fixtures/partitions-telemetry'));
  });
  afterAll(async () => {
    await t?.drop();
  });

  const dueWhere = sql`kind IN ('view', 'click') AND seen_on <= '2025-12-15' AND settled_at <= '2025-03-15'`;

  it('plans only the MINVALUE partition whole: a purchase, a floored record, a partial month keep the others', async () => {
    const oldest = await count(t.db, `telemetry.${OLDEST}`);
    const due = await count(t.db, 'telemetry.device_events', dueWhere);
    const [p] = await plan(ctx, rules, { now: NOW });
    expect(p).toMatchObject({ due, deferred: 1, partitions: { whole: 1, whole_rows: oldest, batch_rows: due - oldest } });
  });

  it('drops that partition with its children by foreign key, and batches the rest', async () => {
    const due = await rows<{ event_id: string }>(t.db, sql`SELECT event_id FROM telemetry.device_events WHERE ${dueWhere}`);
    const kept = await count(t.db, 'telemetry.device_events') - due.length;
    const notes = await count(t.db, 'telemetry.event_notes');
    const { dropped, failedBatches } = await sweepOnce(ctx, rules, 'device-events', NOW);
    expect(failedBatches).toBe(0);
    expect(dropped).toEqual([OLDEST]);
    expect(await leafNames(t.db, 'telemetry', 'device_events')).toEqual(['2026 q1', 'Dec 2025', 'Nov 2025', 'Oct 2025', 'later']);
    expect(await count(t.db, 'telemetry.device_events')).toBe(kept);
    // The purchase and the floored record stay in their partitions.
    expect(await count(t.db, 'telemetry.Oct 2025', sql`kind = 'purchase'`)).toBe(1);
    expect(await count(t.db, 'telemetry.Nov 2025', sql`settled_at = '2026-01-01'`)).toBe(1);
    expect(await count(t.db, 'telemetry.event_notes')).toBe(notes - 2 * due.length);
    const refs = await rows<{ r: string }>(t.db, sql`SELECT record_ref AS r FROM lethe.evidence WHERE action = 'delete' AND "table" = 'telemetry.device_events'`);
    expect(new Set(refs.map((x) => x.r))).toEqual(new Set(due.map((d) => recordRef(ctx.keys, 'telemetry.device_events', d.event_id))));
    expect(await count(t.db, 'lethe.evidence', sql`action = 'delete' AND "table" = 'telemetry.event_notes'`)).toBe(2 * due.length);
    const [head] = await rows<{ fields: Record<string, string> }>(t.db, sql`SELECT fields FROM lethe.evidence WHERE action = 'partition_dropped'`);
    expect(head!.fields).toMatchObject({ partition_dropped: `telemetry.${OLDEST}`, from: 'MINVALUE', to: '2025-10-01' });
    const [batch] = await rows<{ children: number; destroyed: number }>(t.db, sql`SELECT children, destroyed FROM lethe.batches WHERE keys IS NULL AND scan_id IS NOT NULL AND size = destroyed AND id = (SELECT batch_id FROM lethe.evidence WHERE action = 'partition_dropped')`);
    expect(batch!.children).toBe(2 * batch!.destroyed);
    expect(await verifyEvidence(t.db, ctx.keys)).toMatchObject({ ok: true });
  });

  it('drops nothing whole with whole partitions off: the same records go by batch', async () => {
    await t.db.execute(sql`UPDATE telemetry.device_events SET settled_at = '2024-01-01'`);
    const due = await count(t.db, 'telemetry.device_events', dueWhere);
    const before = await leafNames(t.db, 'telemetry', 'device_events');
    const evidence = await count(t.db, 'lethe.evidence', sql`action = 'delete' AND "table" = 'telemetry.device_events'`);
    const { dropped } = await sweepOnce(ctx, rules, 'device-events', NOW, false);
    expect(dropped).toEqual([]);
    expect(await leafNames(t.db, 'telemetry', 'device_events')).toEqual(before);
    expect(await count(t.db, 'telemetry.device_events', dueWhere)).toBe(0);
    expect(await count(t.db, 'lethe.evidence', sql`action = 'delete' AND "table" = 'telemetry.device_events'`)).toBe(evidence + due);
  });
});
