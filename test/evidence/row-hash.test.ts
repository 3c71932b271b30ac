// The batch row hasher builds each row's payload from per-kind fragments; it must give exactly
// the hash recordHash (hash.ts, what `evidence verify` recomputes) gives for the same row.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { batchStartHash, recordHash } from '../../src/evidence/hash.ts';
import { rowHasher } from '../../src/evidence/row-hash.ts';
import type { EvidenceKind } from '../../src/evidence/append.ts';

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const ref = fc.option(hex, { nil: null });
const text = fc.string({ unit: 'binary', maxLength: 30 });
const kind: fc.Arbitrary<EvidenceKind> = fc.record({
  runId: fc.uuid().map((u) => u.toUpperCase()),
  policyId: text, policyVersion: text, category: text, classification: text, trigger: text, action: text, table: text,
  fields: fc.option(fc.dictionary(text, text, { maxKeys: 4 }), { nil: null }),
  partner: fc.option(text, { nil: null }), actor: text,
  occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
});

describe('rowHasher', () => {
  it('gives recordHash\'s hash for every row, chained', () => {
    fc.assert(fc.property(fc.array(kind, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), ref, ref), { maxLength: 12 }), fc.uuid(),
      (kinds, rows, batchId) => {
        const key = randomBytes(32);
        const kindOf = rows.map(([k]) => k % kinds.length);
        const start = batchStartHash(key, batchId);
        const hashes = rowHasher(key, batchId, kinds).chain(start, kindOf, rows.map((r) => r[1]), rows.map((r) => r[2]));
        let prev = start;
        rows.forEach(([, recordRef, subjectRef], i) => {
          const k = kinds[kindOf[i]!]!;
          const expected = recordHash(key, prev, {
            batch_id: batchId, batch_pos: i, run_id: k.runId.toLowerCase(), policy_id: k.policyId, policy_version: k.policyVersion,
            category: k.category, classification: k.classification, trigger: k.trigger, action: k.action, table: k.table,
            record_ref: recordRef, subject_ref: subjectRef, fields: k.fields, partner: k.partner, actor: k.actor,
            occurred_at: k.occurredAt.toISOString(),
          });
          expect(hashes[i]).toBe(expected);
          prev = expected;
        });
      }), { numRuns: 200 });
  });
});
