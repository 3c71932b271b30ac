// The seal chain: one seal per batch of evidence, each binding the batch (id, size, last row
// hash) and the time of sealing to the seal before it.
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { LOCKS, one, rows } from '../db/sql.ts';
import type { Keys } from '../crypto/keys.ts';
import { GENESIS, sealHash } from './hash.ts';

/**
 * Appends the seal of `batchId`. The chain lock it takes is held until the transaction ends, so
 * the next sealer reads this seal as its predecessor: call it last, right before commit.
 */
export async function seal(tx: Executor, keys: Keys, batchId: string, records: number, lastHash: string, sealedAt: Date): Promise<string> {
  // That read needs a fresh snapshot: READ COMMITTED, where each statement after the lock sees the last commit.
  const [state] = await rows<{ iso: string }>(tx, sql`SELECT pg_advisory_xact_lock(${LOCKS.evidenceChain}),
    current_setting('transaction_isolation') AS iso`);
  if (state!.iso !== 'read committed') {
    throw new Error(`evidence can only be sealed in a READ COMMITTED transaction (this one is ${state!.iso}): a stale snapshot would fork the seal chain`);
  }
  const last = await one<{ hash: string }>(tx, sql`SELECT hash FROM lethe.evidence_seals ORDER BY seq DESC LIMIT 1`);
  const prev = last?.hash ?? GENESIS;
  const at = sealedAt.toISOString();
  const hash = sealHash(keys.evidenceKey, prev, batchId, records, lastHash, at);
  await tx.execute(sql`INSERT INTO lethe.evidence_seals (batch_id, records, last_hash, prev_hash, hash, sealed_at)
    VALUES (${batchId}::uuid, ${records}, ${lastHash}, ${prev}, ${hash}, ${at}::timestamptz)`);
  return hash;
}
