// One batch's evidence written in parts: a batch too large to travel as one statement (a whole
// partition's records) is hashed and inserted part by part, each part chained to the one
// before, and sealed once at the end — the same rows, hashes and seal appendEvidence would write.
//
// A part's insert is queued without waiting for it, so that PostgreSQL inserts part n while the
// caller reads and hashes part n + 1. A connection runs one statement at a time (node-postgres
// will refuse a second one sent before the first answered), so the stream keeps the
// transaction's queue: whatever else the caller runs meanwhile goes through `run`, in order.
import type { Executor } from '../db/connect.ts';
import type { Keys } from '../crypto/keys.ts';
import { batchStartHash } from './hash.ts';
import { chainEvidence, insertEvidenceRows, type ChainPoint, type EvidenceRows, type Sealed } from './append.ts';
import { seal } from './seal.ts';

export class EvidenceStream {
  private readonly batch: string;
  private at: ChainPoint;
  /** Settles when every statement queued so far has run. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The first queued statement that failed; every later one of the transaction fails too. */
  private failure: { error: unknown } | undefined;

  constructor(private readonly tx: Executor, private readonly keys: Keys, batchId: string) {
    // PostgreSQL hands uuids back lower-case: hash what will be read back.
    this.batch = batchId.toLowerCase();
    this.at = { pos: 0, prev: batchStartHash(keys.evidenceKey, this.batch) };
  }

  /** Rows written so far (their positions are 0..written-1). */
  get written(): number {
    return this.at.pos;
  }

  /** Runs `statement` on the transaction once everything queued before it has run. */
  run<T>(statement: () => Promise<T>): Promise<T> {
    const result = this.queue.then(statement);
    this.queue = result.catch((error: unknown) => {
      this.failure ??= { error };
    });
    return result;
  }

  /** Hashes `ev` into the chain now and queues its insert; `seal` waits for it. */
  write(ev: EvidenceRows): void {
    if (ev.length === 0) return;
    const chained = chainEvidence(this.keys, this.batch, ev, this.at);
    this.at = chained.next;
    // Its failure is kept for `seal`: not an unhandled rejection meanwhile.
    this.run(() => insertEvidenceRows(this.tx, this.batch, ev, chained)).catch(() => {});
  }

  /** Waits for everything queued; throws the first failure. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure.error;
  }

  /**
   * Waits for every part, then appends the batch's seal: call it last in the transaction (the
   * chain lock it takes is held until commit). Returns the rows written and the seal; none → no seal.
   */
  async seal(sealedAt: Date): Promise<Sealed> {
    await this.flush();
    if (this.at.pos === 0) return { records: 0, sealHash: null };
    return { records: this.at.pos, sealHash: await seal(this.tx, this.keys, this.batch, this.at.pos, this.at.prev, sealedAt) };
  }
}
