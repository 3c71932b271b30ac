// Evidence inputs for the evidence tests: realistic shapes, no personal data.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../src/db/connect.ts';
import { rows } from '../../src/db/sql.ts';
import { deriveKeys, recordRef, subjectRef } from '../../src/crypto/keys.ts';
import type { EvidenceInput } from '../../src/evidence/append.ts';
import { TEST_SECRET } from '../helpers.ts';

export const keys = deriveKeys(TEST_SECRET);

/** `n` rows as one purge would write them; subjects cycle through `subjects`. */
export function sampleBatch(n: number, opts: { subjects?: string[]; occurredAt?: Date; runId?: string } = {}): EvidenceInput[] {
  const subjects = opts.subjects ?? ['1000042', '1000043'];
  const runId = opts.runId ?? randomUUID();
  const occurredAt = opts.occurredAt ?? new Date('2026-03-01T08:00:00.123Z');
  return Array.from({ length: n }, (_, i) => {
    const anonymise = i % 3 === 1;
    return {
      runId,
      policyId: anonymise ? 'dormant-marketing-profiles' : 'rejected-loan-applications',
      policyVersion: 'a'.repeat(64),
      category: anonymise ? 'marketing-profile' : 'loan-application',
      classification: 'C3',
      trigger: 'expiry',
      action: anonymise ? 'anonymise' : 'delete',
      table: 'public.loan_applications',
      recordRef: recordRef(keys, 'public.loan_applications', String(5000 + i)),
      subjectRef: i % 4 === 3 ? null : subjectRef(keys, subjects[i % subjects.length]!),
      // Keys deliberately unsorted, and a value needing CSV quoting.
      fields: anonymise ? { phone: 'null', full_name: 'redact', note: 'say "hi", then\nleave' } : null,
      partner: i % 5 === 4 ? 'bank-of-partners' : null,
      actor: 'scheduler',
      occurredAt,
    };
  });
}

export interface SealedBatch {
  batchId: string;
  seal: number;
  seqs: number[];
}

/** Every sealed batch with its evidence seqs in position order, in seal (chain) order. */
export async function sealedBatches(db: Executor): Promise<SealedBatch[]> {
  const r = await rows<{ batch_id: string; seal: string; seqs: string[] }>(db, sql`
    SELECT s.batch_id::text, s.seq::text AS seal,
      coalesce((SELECT array_agg(e.seq::text ORDER BY e.batch_pos) FROM lethe.evidence e WHERE e.batch_id = s.batch_id), '{}') AS seqs
    FROM lethe.evidence_seals s ORDER BY s.seq`);
  return r.map((b) => ({ batchId: b.batch_id, seal: Number(b.seal), seqs: b.seqs.map(Number) }));
}

/** The messages of an error and its causes (drizzle wraps driver errors). */
export function messages(e: unknown): string {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error; c = c.cause) out.push(c.message);
  return out.join(' / ');
}
