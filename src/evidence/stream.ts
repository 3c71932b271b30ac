// One batch's evidence written in parts: a batch too large to travel as one statement (a whole
// partition's records) is hashed and inserted part by part, each part chained to the one
// before, and sealed once at the end — the same rows, hashes and seal appendEvidence would write.
//
// A part's insert is sent without waiting for it: PostgreSQL inserts part n while the caller
// reads and hashes part n + 1 (one connection runs its statements in order, so nothing
// overtakes). Each insert's failure is kept and thrown by `seal`, and every later statement of
// the transaction fails anyway once one has.
import type { Executor } from '../db/connect.ts';
import type { Keys } from '../crypto/keys.ts';
import { batchStartHash } from './hash.ts';
import { chainEvidence, insertEvidenceRows, type ChainPoint, type EvidenceRows, type Sealed } from './append.ts';
import { seal } from './seal.ts';

export class EvidenceStream {
  private readonly batch: string;
  private at: ChainPoint;
  /** Settles when every insert sent so far has; rejects with the first failure. */
  private sent: Promise<void> = Promise.resolve();

  constructor(private readonly tx: Executor, private readonly keys: Keys, batchId: string) {
    // PostgreSQL hands uuids back lower-case: hash what will be read back.
    this.batch = batchId.toLowerCase();
    this.at = { pos: 0, prev: batchStartHash(keys.evidenceKey, this.batch) };
  }

  /** Rows written so far (their positions are 0..written-1). */
  get written(): number {
    return this.at.pos;
  }

  /** Hashes `ev` into the chain now and sends its insert; `seal` waits for it. */
  write(ev: EvidenceRows): void {
    if (ev.length === 0) return;
    const chained = chainEvidence(this.keys, this.batch, ev, this.at);
    this.at = chained.next;
    this.sent = Promise.all([this.sent, insertEvidenceRows(this.tx, this.batch, ev, chained)]).then(() => {});
    // Handled here so that a failure is not an unhandled rejection before `seal` awaits it.
    this.sent.catch(() => {});
  }

  /**
   * Waits for every part, then appends the batch's seal: call it last in the transaction (the
   * chain lock it takes is held until commit). Returns the rows written and the seal; none → no seal.
   */
  async seal(sealedAt: Date): Promise<Sealed> {
    await this.sent;
    if (this.at.pos === 0) return { records: 0, sealHash: null };
    return { records: this.at.pos, sealHash: await seal(this.tx, this.keys, this.batch, this.at.pos, this.at.prev, sealedAt) };
  }
}
