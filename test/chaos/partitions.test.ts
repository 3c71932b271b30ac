// Chaos 6: `lethe worker` processes SIGKILLed while they drop a whole partition — caught in the
// act by the partition's EXCLUSIVE lock in pg_locks — and restarted. After each kill the
// partition is either still there with every row and no evidence of them, or gone with one
// evidence row per row; in the end every due record went exactly once and the chain verifies.
import { expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { partitionedAccessLogs } from '../fixtures/partitioned.ts';
import { one, rows } from '../../src/db/sql.ts';
import { deriveKeys, recordRef } from '../../src/crypto/keys.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { TEST_SECRET, waitFor } from '../helpers.ts';
import type { Db } from '../../src/db/connect.ts';
import { CHAOS_RECORDS, CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, chaosFile, seededRandom, sleep } from './fixture.ts';

const f = chaosFile('parts');
const KEYS = deriveKeys(TEST_SECRET);
const DAY_MS = 86_400_000;
/** Rows per daily partition: big enough that a drop takes a while to catch. */
const PER_DAY = Math.max(6000, CHAOS_RECORDS * 2);
const KILLS = 2;

/** The partition a lethe backend holds EXCLUSIVE right now (a drop in flight), if any. */
async function dropInFlight(db: Db): Promise<string | undefined> {
  const [r] = await rows<{ part: string }>(db, sql`SELECT l.relation::regclass::text AS part FROM pg_locks l
    JOIN pg_inherits i ON i.inhrelid = l.relation
    WHERE i.inhparent = 'public.access_logs'::regclass AND l.locktype = 'relation' AND l.mode = 'ExclusiveLock' AND l.granted
      AND l.pid <> pg_backend_pid()`);
  return r?.part;
}

async function duePartitionsLeft(db: Db): Promise<number> {
  const [r] = await rows<{ n: string }>(db, sql`SELECT count(DISTINCT part)::text AS n FROM chaos_parts
    WHERE to_regclass(part) IS NOT NULL AND part <> 'access_logs_default'`);
  return Number(r!.n);
}

/** Either the partition with all its rows and no evidence of them, or neither. */
async function allOrNothing(db: Db, part: string): Promise<'kept' | 'dropped'> {
  const [r] = await rows<{ exists: boolean; expected: string; evidence: string }>(db, sql`SELECT to_regclass(${part}) IS NOT NULL AS exists,
      (SELECT count(*) FROM chaos_parts WHERE part = ${part})::text AS expected,
      (SELECT count(*) FROM lethe.evidence e JOIN chaos_parts c ON c.ref = e.record_ref WHERE c.part = ${part} AND e.action = 'delete')::text AS evidence`);
  if (r!.exists) {
    const left = await one<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sql.raw(part)}`);
    expect({ part, left: left!.n, evidence: r!.evidence }).toEqual({ part, left: r!.expected, evidence: '0' });
    return 'kept';
  }
  expect({ part, evidence: r!.evidence }).toEqual({ part, evidence: r!.expected });
  return 'dropped';
}

it('a partition drop killed mid-way leaves the partition and no evidence, or neither', async () => {
  const random = seededRandom('partitions');
  const { t } = f;
  const now = new Date();
  await partitionedAccessLogs(t.db, { now, days: 40, perDay: PER_DAY, customers: 500, start: new Date(now.getTime() - 40 * DAY_MS) });
  // The workers judge due-ness by the clock as they run: rows that would cross the 30-day line
  // while the test runs (a loaded machine makes it minutes) are left out, so the due set is fixed.
  await t.db.execute(sql`DELETE FROM access_logs WHERE written_at BETWEEN now() - interval '30 days' - interval '1 hour'
    AND now() - interval '30 days' + interval '1 hour'`);
  // Every due row, its partition and its record ref: what evidence must name once.
  await t.db.execute(sql`CREATE TABLE chaos_parts AS SELECT id, tableoid::regclass::text AS part, ''::text AS ref
    FROM access_logs WHERE written_at <= now() - interval '30 days'`);
  const ids = (await rows<{ id: string }>(t.db, sql`SELECT id::text FROM chaos_parts`)).map((r) => r.id);
  for (let i = 0; i < ids.length; i += 20_000) {
    const chunk = ids.slice(i, i + 20_000);
    await t.db.execute(sql`UPDATE chaos_parts c SET ref = x.ref FROM unnest(${sql.param(chunk)}::bigint[],
      ${sql.param(chunk.map((id) => recordRef(KEYS, 'public.access_logs', id)))}::text[]) AS x(id, ref) WHERE c.id = x.id`);
  }
  await t.db.execute(sql`CREATE INDEX ON chaos_parts (ref)`);
  const total = Number((await one<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM access_logs`))!.n);

  const env = chaosEnv(t, f.q.prefix, { LETHE_POLICIES: 'test/fixtures/partitions', LETHE_BATCH_SIZE: '500' });
  const pool = (f.pool = new WorkerPool(env, 2));
  pool.start();
  const seen: Record<'kept' | 'dropped', number> = { kept: 0, dropped: 0 };
  const end = Date.now() + CHAOS_TIMEOUT_MS / 2;
  let polls = 0;
  while (pool.kills < KILLS * pool.size && Date.now() < end) {
    const part = await dropInFlight(t.db);
    if (!part) {
      // Every due partition gone already: nothing left to catch.
      if (++polls % 40 === 0 && (await duePartitionsLeft(t.db)) === 0) break;
      await sleep(5);
      continue;
    }
    await sleep(random.int(0, 150));
    for (let i = 0; i < pool.size; i++) await pool.kill(i);
    // PostgreSQL ends the killed sessions' transactions once it notices their sockets closed.
    await waitFor(async () => (await dropInFlight(t.db)) === undefined, 30_000, 'the killed drop to end');
    seen[await allOrNothing(t.db, part)]++;
    if (random.next() < 0.5) await sleep(random.int(0, 300));
    pool.start();
  }
  console.log(`chaos partitions: ${pool.kills} kills, partitions caught mid-drop: ${JSON.stringify(seen)}`);
  expect(seen.kept + seen.dropped).toBeGreaterThan(0);

  // The workers' schedulers scan again and finish: every due row gone, once each. Watched through
  // the evidence (written in the destroying transaction), never by reading the parent: a count
  // of a large parent every 25 ms is a long report that a DETACH steps back from, again and again.
  await waitFor(async () => Number((await one<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence
    WHERE action = 'delete'`))!.n) >= ids.length, CHAOS_TIMEOUT_MS / 3, 'every due row to go');
  expect(pool.crashed()).toEqual([]);
  await pool.stop();
  const [r] = await rows<Record<string, string>>(t.db, sql`SELECT
      (SELECT count(*) FROM chaos_parts)::text AS due,
      (SELECT count(*) FROM access_logs)::text AS left,
      (SELECT count(*) FROM lethe.evidence WHERE action = 'delete')::text AS evidence,
      (SELECT count(DISTINCT record_ref) FROM lethe.evidence WHERE action = 'delete')::text AS distinct_evidence,
      (SELECT count(*) FROM lethe.evidence e WHERE action = 'delete' AND NOT EXISTS (SELECT 1 FROM chaos_parts c WHERE c.ref = e.record_ref))::text AS stray,
      (SELECT coalesce(sum(destroyed), 0) FROM lethe.batches)::text AS batch_destroyed`);
  expect(r).toEqual({ due: String(ids.length), left: String(total - ids.length), evidence: String(ids.length),
    distinct_evidence: String(ids.length), stray: '0', batch_destroyed: String(ids.length) });
  expect(Number((await one<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence WHERE action = 'partition_dropped'`))!.n)).toBeGreaterThan(5);
  expect(await verifyEvidence(t.db, KEYS)).toMatchObject({ ok: true, first_broken: null });
}, CHAOS_TIMEOUT_MS);
