// The row hashes of hash.ts (`recordHash`), computed for a whole batch without building an
// object and a canonical JSON text per row: the text of each kind's constant fields is made
// once, and a row only adds its position and two refs. test/evidence/row-hash.test.ts checks,
// for random rows, that every hash equals recordHash's.
import { canonicalJSON } from './hash.ts';
import { hmacHex } from '../crypto/keys.ts';
import type { EvidenceKind } from './append.ts';

/** canonicalJSON of a ref: 64 hex digits need no escaping. */
const refJSON = (ref: string | null): string => (ref === null ? 'null' : `"${ref}"`);

export interface RowHasher {
  /**
   * The hash of each row, each chained to the one before (the first to `start`); the rows sit at
   * batch positions `firstPos`, `firstPos + 1`… (a batch written in parts: src/evidence/stream.ts).
   */
  chain(start: string, kindOf: readonly number[], recordRefs: readonly (string | null)[], subjectRefs: readonly (string | null)[], firstPos?: number): string[];
}

export function rowHasher(evidenceKey: Buffer, batchId: string, kinds: readonly EvidenceKind[]): RowHasher {
  // recordHash's payload: [batch_id, batch_pos, run_id, policy_id, policy_version, category,
  // classification, trigger, action, table, record_ref, subject_ref, fields, partner, actor, occurred_at]
  const head = `[${canonicalJSON(batchId)},`;
  const parts = kinds.map((k) => ({
    middle: `,${[k.runId.toLowerCase(), k.policyId, k.policyVersion, k.category, k.classification, k.trigger, k.action, k.table]
      .map((v) => canonicalJSON(v)).join(',')},`,
    tail: `,${canonicalJSON(k.fields)},${canonicalJSON(k.partner)},${canonicalJSON(k.actor)},${canonicalJSON(k.occurredAt.toISOString())}]`,
  }));
  return {
    chain(start, kindOf, recordRefs, subjectRefs, firstPos = 0) {
      const out = new Array<string>(kindOf.length);
      let prev = start;
      for (let i = 0; i < kindOf.length; i++) {
        const p = parts[kindOf[i]!]!;
        prev = hmacHex(evidenceKey, `${prev}|${head}${firstPos + i}${p.middle}${refJSON(recordRefs[i]!)},${refJSON(subjectRefs[i]!)}${p.tail}`);
        out[i] = prev;
      }
      return out;
    },
  };
}
