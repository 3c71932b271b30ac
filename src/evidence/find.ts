// `evidence find --subject`: the subject's pseudonym is computed here and only looked up; the
// raw id goes nowhere else.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { rows } from '../db/sql.ts';
import { subjectRef, type Keys } from '../crypto/keys.ts';
import type { EvidenceRecord } from './hash.ts';
import { EVIDENCE_COLUMNS, toRecord, type EvidenceRow } from './rows.ts';

/** Every evidence record carrying the subject's pseudonym, in seq order. */
export async function findEvidence(db: Executor, keys: Keys, subjectId: string): Promise<EvidenceRecord[]> {
  const ref = subjectRef(keys, subjectId);
  const found = await rows<EvidenceRow>(db, sql`SELECT ${EVIDENCE_COLUMNS} FROM lethe.evidence e
    WHERE e.subject_ref = ${ref} ORDER BY e.seq`);
  return found.map(toRecord);
}
