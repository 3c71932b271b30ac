import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { LOCKS, rows } from '../../src/db/sql.ts';
import { appendEvidence } from '../../src/evidence/append.ts';
import { GENESIS } from '../../src/evidence/hash.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { count, createTestDb, type TestDb } from '../helpers.ts';
import { keys, messages, sampleBatch, sealedBatches } from './sample.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('evidence_append');
});
afterAll(async () => {
  await t?.drop();
});

describe('appendEvidence', () => {
  it('writes one row per input at positions 0..n-1 and one seal, chained to the previous seal', async () => {
    const first = randomUUID();
    const second = randomUUID();
    expect(await t.db.transaction((tx) => appendEvidence(tx, keys, first, sampleBatch(7), new Date()))).toBe(7);
    expect(await t.db.transaction((tx) => appendEvidence(tx, keys, second, sampleBatch(3), new Date()))).toBe(3);
    const pos = await rows<{ p: number }>(t.db, sql`SELECT batch_pos AS p FROM lethe.evidence WHERE batch_id = ${first} ORDER BY batch_pos`);
    expect(pos.map((r) => r.p)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const seals = await rows<{ batch_id: string; records: number; prev_hash: string; hash: string; last_hash: string }>(t.db,
      sql`SELECT batch_id::text, records, prev_hash, hash, last_hash FROM lethe.evidence_seals ORDER BY seq`);
    expect(seals.map((s) => [s.batch_id, s.records])).toEqual([[first, 7], [second, 3]]);
    expect(seals[0]!.prev_hash).toBe(GENESIS);
    expect(seals[1]!.prev_hash).toBe(seals[0]!.hash);
    const last = await rows<{ hash: string }>(t.db, sql`SELECT hash FROM lethe.evidence WHERE batch_id = ${second} AND batch_pos = 2`);
    expect(seals[1]!.last_hash).toBe(last[0]!.hash);
    expect(await verifyEvidence(t.db, keys)).toEqual({ ok: true, records: 10, first_broken: null });
  });

  it('writes nothing, not even a seal, for an empty batch', async () => {
    const before = await count(t.db, 'lethe.evidence_seals');
    expect(await t.db.transaction((tx) => appendEvidence(tx, keys, randomUUID(), [], new Date()))).toBe(0);
    expect(await count(t.db, 'lethe.evidence_seals')).toBe(before);
  });

  it('rolls back with its transaction: no rows, no seal', async () => {
    const batchId = randomUUID();
    await expect(t.db.transaction(async (tx) => {
      await appendEvidence(tx, keys, batchId, sampleBatch(4), new Date());
      throw new Error('the purge failed after writing evidence');
    })).rejects.toThrow(/purge failed/);
    expect(await count(t.db, 'lethe.evidence', sql`batch_id = ${batchId}`)).toBe(0);
    expect(await count(t.db, 'lethe.evidence_seals', sql`batch_id = ${batchId}`)).toBe(0);
    expect((await verifyEvidence(t.db, keys)).ok).toBe(true);
  });

  it('keeps one seal chain when purges seal concurrently (they queue on the chain lock)', async () => {
    // Hold the chain lock from another session so that every purge has inserted its rows and is
    // waiting to seal when the lock is released: each must then read its predecessor's commit.
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query('SELECT pg_advisory_lock($1)', [LOCKS.evidenceChain]);
      const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const purges = ids.map((id, i) => t.db.transaction((tx) => appendEvidence(tx, keys, id, sampleBatch(20 + i), new Date())));
      for (let waited = 0; ; waited += 20) {
        const [w] = await rows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND objid = ${LOCKS.evidenceChain} AND NOT granted`);
        if (w!.n === ids.length) break;
        if (waited > 10_000) throw new Error(`only ${w!.n} purges reached the chain lock`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await blocker.query('SELECT pg_advisory_unlock($1)', [LOCKS.evidenceChain]);
      expect(await Promise.all(purges)).toEqual([20, 21, 22, 23]);
    } finally {
      await blocker.end();
    }
    const batches = await sealedBatches(t.db);
    expect(batches).toHaveLength(6);
    const [links] = await rows<{ forks: number }>(t.db, sql`SELECT count(*)::int AS forks FROM lethe.evidence_seals a
      JOIN lethe.evidence_seals b ON a.prev_hash = b.prev_hash AND a.seq < b.seq`);
    expect(links!.forks).toBe(0);
    expect(await verifyEvidence(t.db, keys)).toEqual({ ok: true, records: 10 + 20 + 21 + 22 + 23, first_broken: null });
  });

  it('refuses to seal in a REPEATABLE READ transaction, whose stale snapshot would fork the chain', async () => {
    await expect(t.db.transaction((tx) => appendEvidence(tx, keys, randomUUID(), sampleBatch(2), new Date()),
      { isolationLevel: 'repeatable read' })).rejects.toThrow(/READ COMMITTED/);
  });

  it.each([
    ['UPDATE', sql`UPDATE lethe.evidence SET actor = 'mallory'`],
    ['DELETE', sql`DELETE FROM lethe.evidence`],
    ['TRUNCATE', sql`TRUNCATE lethe.evidence`],
    ['UPDATE', sql`UPDATE lethe.evidence_seals SET records = 1`],
    ['DELETE', sql`DELETE FROM lethe.evidence_seals`],
    ['TRUNCATE', sql`TRUNCATE lethe.evidence_seals`],
  ])('the application cannot %s evidence: it is append-only', async (_op, statement) => {
    const before = await count(t.db, 'lethe.evidence');
    const error = await t.db.execute(statement).then(() => null, (e: unknown) => e);
    expect(messages(error)).toMatch(/append-only/);
    expect(await count(t.db, 'lethe.evidence')).toBe(before);
    expect((await verifyEvidence(t.db, keys)).ok).toBe(true);
  });
});
