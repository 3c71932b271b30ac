// Tampering as a superuser would (triggers bypassed), each inside a transaction that is rolled
// back afterwards, so every case starts from the same intact evidence.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../src/db/connect.ts';
import { appendEvidence } from '../../src/evidence/append.ts';
import { verifyEvidence, type VerifyResult } from '../../src/evidence/verify.ts';
import { createTestDb, type TestDb } from '../helpers.ts';
import { keys, sampleBatch, sealedBatches, type SealedBatch } from './sample.ts';

let t: TestDb;
let batches: SealedBatch[];
// More than 9 seals and seqs: chain order must be numeric, not text order.
const RECORDS = 6 + 5 + 7 + 4 + 8 * 2;

beforeAll(async () => {
  t = await createTestDb('evidence_verify');
  // Two batches at once: their seqs interleave or not, the chain must not care.
  await Promise.all([6, 5].map((n) => t.db.transaction((tx) => appendEvidence(tx, keys, randomUUID(), sampleBatch(n), new Date()))));
  for (const n of [7, 4, 2, 2, 2, 2, 2, 2, 2, 2]) await t.db.transaction((tx) => appendEvidence(tx, keys, randomUUID(), sampleBatch(n), new Date()));
  batches = await sealedBatches(t.db);
});
afterAll(async () => {
  await t?.drop();
});

class Rollback extends Error {}

/** Applies `tamper` with the append-only triggers off, verifies, and undoes everything. */
async function verifyAfter(tamper: (tx: Tx) => Promise<unknown>, pageRows?: number): Promise<VerifyResult & { inserted?: number }> {
  let result: (VerifyResult & { inserted?: number }) | undefined;
  await t.db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL session_replication_role = replica`);
    const changed = await tamper(tx);
    result = await verifyEvidence(tx, keys, { pageRows });
    // Where the tamper inserted a row, the test needs its seq; it is gone after the rollback.
    const inserted = (changed as { rows?: { seq?: string }[] } | undefined)?.rows?.[0]?.seq;
    if (inserted !== undefined) result = { ...result, inserted: Number(inserted) };
    throw new Rollback();
  }).catch((e: unknown) => {
    if (!(e instanceof Rollback)) throw e;
  });
  return result!;
}

const run = (statement: SQL) => (tx: Tx) => tx.execute(statement);
const copyRow = (seq: number, batchId: SQL, pos: SQL, hash: SQL) => sql`INSERT INTO lethe.evidence
  (batch_id, batch_pos, run_id, policy_id, policy_version, category, classification, trigger, action, "table",
   record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
  SELECT ${batchId}, ${pos}, run_id, policy_id, policy_version, category, classification, trigger, action, "table",
   record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, ${hash}
  FROM lethe.evidence WHERE seq = ${seq} RETURNING seq::text`;

describe('verifyEvidence', () => {
  it('finds intact evidence intact', async () => {
    expect(batches.map((b) => b.seqs.length).slice(0, 4).sort()).toEqual([4, 5, 6, 7]);
    expect(await verifyEvidence(t.db, keys)).toEqual({ ok: true, records: RECORDS, first_broken: null });
  });

  it('reads the same across page boundaries (pages of 3 rows)', async () => {
    expect(await verifyEvidence(t.db, keys, { pageRows: 3 })).toEqual({ ok: true, records: RECORDS, first_broken: null });
    const b = batches[1]!;
    const removed = run(sql`DELETE FROM lethe.evidence WHERE seq = ${b.seqs[2]!}`);
    expect(await verifyAfter(removed, 3)).toEqual(await verifyAfter(removed));
  });

  it('names a record duplicating a position (unique index dropped first), across pages too', async () => {
    const b = batches[0]!;
    for (const pageRows of [undefined, 1, 2]) {
      const r = await verifyAfter(async (tx) => {
        await tx.execute(sql`DROP INDEX lethe.evidence_batch_pos_idx`);
        return tx.execute(copyRow(b.seqs[1]!, sql`batch_id`, sql`batch_pos`, sql`hash`));
      }, pageRows);
      expect(r.first_broken).toEqual({ seq: r.inserted, reason: expect.stringMatching(/two records at position 1: a record was inserted/) });
    }
  });

  it.each([
    ['actor', sql`actor = 'someone-else'`],
    ['action', sql`action = 'anonymise'`],
    ['subject_ref', sql`subject_ref = md5(coalesce(subject_ref, 'someone'))`],
    ['fields', sql`fields = '{"phone":"hmac"}'::jsonb`],
    ['occurred_at (by one microsecond)', sql`occurred_at = occurred_at + interval '1 microsecond'`],
    ['hash', sql`hash = md5(hash) || md5(hash)`],
    ['prev_hash', sql`prev_hash = md5(prev_hash) || md5(prev_hash)`],
    ['run_id', sql`run_id = gen_random_uuid()`],
  ])('names an altered record: %s', async (_what, change) => {
    const b = batches[2]!;
    const victim = b.seqs[3]!;
    const r = await verifyAfter(run(sql`UPDATE lethe.evidence SET ${change} WHERE seq = ${victim}`));
    expect(r).toEqual({ ok: false, records: RECORDS, first_broken: { seq: victim, reason: expect.stringMatching(/altered/) } });
  });

  it('names the record after a removed one', async () => {
    const b = batches[1]!;
    const r = await verifyAfter(run(sql`DELETE FROM lethe.evidence WHERE seq = ${b.seqs[2]!}`));
    expect(r.ok).toBe(false);
    expect(r.records).toBe(RECORDS - 1);
    expect(r.first_broken).toEqual({ seq: b.seqs[3], reason: expect.stringMatching(/removed/) });
  });

  it('names the batch of a record removed from its end (the seal counts it)', async () => {
    const b = batches[3]!;
    const r = await verifyAfter(run(sql`DELETE FROM lethe.evidence WHERE seq = ${b.seqs.at(-1)!}`));
    expect(r.first_broken).toEqual({ seq: b.seqs[0], reason: expect.stringMatching(/has 3 records but its seal says 4: a record was removed/) });
  });

  it('notices a whole batch removed, seal left behind', async () => {
    const [b, next] = [batches[1]!, batches[2]!];
    const r = await verifyAfter(run(sql`DELETE FROM lethe.evidence WHERE batch_id = ${b.batchId}`));
    expect(r.first_broken).toEqual({ seq: next.seqs[0], reason: expect.stringMatching(new RegExp(`batch ${b.batchId} has no records.*removed`)) });
  });

  it('names a record inserted into a sealed batch, even one copying a genuine row', async () => {
    const b = batches[0]!;
    const r = await verifyAfter(run(copyRow(b.seqs.at(-1)!, sql`batch_id`, sql`${b.seqs.length}`, sql`hash`)));
    expect(r.first_broken).toEqual({ seq: r.inserted, reason: expect.stringMatching(/inserted/) });
  });

  it('names records inserted as a batch of their own (no seal)', async () => {
    const r = await verifyAfter(run(copyRow(batches[2]!.seqs[0]!, sql`${randomUUID()}::uuid`, sql`0`, sql`hash`)));
    expect(r.first_broken).toEqual({ seq: r.inserted, reason: expect.stringMatching(/no seal: it was inserted/) });
  });

  it.each([
    ['records', sql`records = records - 1`],
    ['last_hash', sql`last_hash = prev_hash`],
    ['sealed_at', sql`sealed_at = sealed_at - interval '1 day'`],
  ])('names the batch of an altered seal: %s', async (_what, change) => {
    const b = batches[2]!;
    const r = await verifyAfter(run(sql`UPDATE lethe.evidence_seals SET ${change} WHERE seq = ${b.seal}`));
    expect(r.first_broken).toEqual({ seq: Math.min(...b.seqs), reason: expect.stringMatching(/seal .* was altered/) });
  });

  it('names the batch whose seal was removed', async () => {
    const b = batches[1]!;
    const r = await verifyAfter(run(sql`DELETE FROM lethe.evidence_seals WHERE seq = ${b.seal}`));
    const expected = Math.min(...b.seqs, ...batches[2]!.seqs);
    expect(r.first_broken).toEqual({ seq: expected, reason: expect.stringMatching(/seal was removed/) });
  });

  it('notices the last seal removed', async () => {
    const b = batches.at(-1)!;
    const r = await verifyAfter(run(sql`DELETE FROM lethe.evidence_seals WHERE seq = ${b.seal}`));
    expect(r.first_broken).toEqual({ seq: b.seqs[0], reason: expect.stringMatching(/no seal/) });
  });

  it('notices a forged seal', async () => {
    const r = await verifyAfter(run(sql`INSERT INTO lethe.evidence_seals (batch_id, records, last_hash, prev_hash, hash, sealed_at)
      SELECT ${randomUUID()}::uuid, 1, last_hash, hash, md5(hash) || md5(hash), now() FROM lethe.evidence_seals ORDER BY seq DESC LIMIT 1`));
    expect(r.first_broken).toEqual({ seq: batches.at(-1)!.seqs.at(-1), reason: expect.stringMatching(/altered or forged/) });
  });

  it('reports the lowest seq when several records are broken', async () => {
    const [a, b] = [batches[3]!.seqs[1]!, batches[0]!.seqs[2]!];
    const r = await verifyAfter(run(sql`UPDATE lethe.evidence SET actor = 'x' WHERE seq IN (${a}, ${b})`));
    expect(r.first_broken?.seq).toBe(Math.min(a, b));
  });
});

