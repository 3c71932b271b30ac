// A batch written in parts (EvidenceStream: a whole partition's evidence) is the batch
// appendSealed would have written: the same positions, row hashes and seal, verified as such.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/sql.ts';
import { EvidenceRows } from '../../src/evidence/append.ts';
import { EvidenceStream } from '../../src/evidence/stream.ts';
import { batchStartHash, recordHash, sealHash } from '../../src/evidence/hash.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { count, createTestDb, type TestDb } from '../helpers.ts';
import { keys, sampleBatch } from './sample.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('evidence_stream');
});
afterAll(async () => {
  await t?.drop();
});

describe('EvidenceStream', () => {
  it('writes parts at consecutive positions, each chained to the one before, under one seal', async () => {
    const batchId = randomUUID().toUpperCase();
    const input = sampleBatch(23);
    const at = new Date('2026-03-01T09:00:00.000Z');
    const sealed = await t.db.transaction(async (tx) => {
      const stream = new EvidenceStream(tx, keys, batchId);
      for (const [from, to] of [[0, 1], [1, 11], [11, 11], [11, 23]] as const) stream.write(EvidenceRows.of(input.slice(from, to)));
      expect(stream.written).toBe(23);
      return stream.seal(at);
    });
    const batch = batchId.toLowerCase();
    const stored = await rows<{ batch_pos: number; prev_hash: string; hash: string }>(t.db, sql`SELECT batch_pos, prev_hash, hash
      FROM lethe.evidence WHERE batch_id = ${batch} ORDER BY batch_pos`);
    let prev = batchStartHash(keys.evidenceKey, batch);
    input.forEach((r, i) => {
      const hash = recordHash(keys.evidenceKey, prev, {
        batch_id: batch, batch_pos: i, run_id: r.runId.toLowerCase(), policy_id: r.policyId, policy_version: r.policyVersion,
        category: r.category, classification: r.classification, trigger: r.trigger, action: r.action, table: r.table,
        record_ref: r.recordRef, subject_ref: r.subjectRef, fields: r.fields, partner: r.partner, actor: r.actor, occurred_at: r.occurredAt.toISOString(),
      });
      expect(stored[i]).toEqual({ batch_pos: i, prev_hash: prev, hash });
      prev = hash;
    });
    const [seal] = await rows<{ records: number; last_hash: string; prev_hash: string; hash: string }>(t.db, sql`SELECT records, last_hash, prev_hash, hash
      FROM lethe.evidence_seals WHERE batch_id = ${batch}`);
    expect(seal).toMatchObject({ records: 23, last_hash: prev, hash: sealHash(keys.evidenceKey, seal!.prev_hash, batch, 23, prev, at.toISOString()) });
    expect(sealed).toEqual({ records: 23, sealHash: seal!.hash });
    expect(await verifyEvidence(t.db, keys)).toMatchObject({ ok: true, records: 23 });
  });

  it('seals nothing for nothing written, and loses everything with its transaction when a part fails', async () => {
    const before = await count(t.db, 'lethe.evidence_seals');
    expect(await t.db.transaction((tx) => new EvidenceStream(tx, keys, randomUUID()).seal(new Date()))).toEqual({ records: 0, sealHash: null });
    const batchId = randomUUID();
    // A part PostgreSQL refuses (a run id that is no uuid): sent without waiting, its failure is what `seal` throws.
    const bad = sampleBatch(3, { runId: 'not-a-uuid' });
    await expect(t.db.transaction(async (tx) => {
      const stream = new EvidenceStream(tx, keys, batchId);
      stream.write(EvidenceRows.of(sampleBatch(5)));
      stream.write(EvidenceRows.of(bad));
      stream.write(EvidenceRows.of(sampleBatch(2)));
      return stream.seal(new Date());
    })).rejects.toThrow(/invalid input syntax for type uuid|Failed query/);
    expect(await count(t.db, 'lethe.evidence', sql`batch_id = ${batchId}`)).toBe(0);
    expect(await count(t.db, 'lethe.evidence_seals')).toBe(before);
  });
});
