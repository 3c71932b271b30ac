// The checks behind `evidence verify`, free of any database: fed the seals (all of them, one
// per batch: small) and then every row grouped by batch in position order (streamed), it names
// the first broken record. An offline verifier of an exported file can feed it the same way.
import {
  GENESIS, batchStartHash, recordHash, sealHash, type EvidenceRecord, type SealRecord,
} from './hash.ts';

export interface VerifyResult {
  ok: boolean;
  records: number;
  first_broken: null | { seq: number; reason: string };
  /** Evidence lethe's own records say existed and that is gone or replaced (cross-check.ts); only when some is. */
  missing?: string[];
}

interface SealState {
  seal: SealRecord;
  /** The seal's own hash verifies: its records and last_hash can be trusted. */
  authentic: boolean;
  problem: string | null;
  firstSeq: number | null;
  lastSeq: number | null;
}

interface OpenBatch {
  id: string;
  seal: SealState | undefined;
  nextPos: number;
  prevHash: string;
  count: number;
  /** A row of this batch is already named: its size and last hash add nothing more precise. */
  flagged: boolean;
}

export interface ChainOptions {
  /** prev_hash of the first seal given: GENESIS for the whole chain, else that of a stretch of it. */
  anchor?: string;
  /** A seal whose batch may be absent (an export's stretch of seals around a date range). */
  mayBeAbsent?: (seal: SealRecord) => boolean;
}

export class ChainChecker {
  private readonly seals = new Map<string, SealState>();
  private readonly order: SealState[] = [];
  private batch: OpenBatch | null = null;
  private records = 0;
  private broken: { seq: number; reason: string } | null = null;

  /** `seals` in chain (seq) order. */
  constructor(private readonly key: Buffer, seals: Iterable<SealRecord>, private readonly opts: ChainOptions = {}) {
    let prev = opts.anchor ?? GENESIS;
    for (const seal of seals) {
      const authentic = seal.hash === sealHash(key, seal.prev_hash, seal.batch_id, seal.records, seal.last_hash, seal.sealed_at);
      let problem: string | null = null;
      if (!authentic) {
        problem = `the seal of batch ${seal.batch_id} does not match its hash: the seal was altered or forged`;
      } else if (seal.prev_hash !== prev) {
        problem = `the seal of batch ${seal.batch_id} does not follow the seal before it: a seal was removed or inserted before it`;
      } else if (this.seals.has(seal.batch_id)) {
        problem = `batch ${seal.batch_id} is sealed twice: a seal was inserted`;
      }
      prev = seal.hash;
      const state: SealState = { seal, authentic, problem, firstSeq: null, lastSeq: null };
      if (!this.seals.has(seal.batch_id)) this.seals.set(seal.batch_id, state);
      this.order.push(state);
    }
  }

  /** Rows grouped by batch_id, each batch in batch_pos order (ties by seq). */
  add(r: EvidenceRecord): void {
    this.records++;
    if (this.batch?.id !== r.batch_id) this.open(r);
    const b = this.batch!;
    b.count++;
    const s = b.seal;
    if (s) {
      s.firstSeq = s.firstSeq === null ? r.seq : Math.min(s.firstSeq, r.seq);
      s.lastSeq = s.lastSeq === null ? r.seq : Math.max(s.lastSeq, r.seq);
    }
    const problem = this.rowProblem(r, b);
    if (problem !== null) {
      this.flag(r.seq, problem);
      b.flagged = true;
    }
    b.nextPos = Math.max(b.nextPos, r.batch_pos + 1);
    b.prevHash = r.hash;
  }

  finish(): VerifyResult {
    this.close();
    this.order.forEach((s, i) => {
      if (s.problem === null && s.firstSeq === null && !this.opts.mayBeAbsent?.(s.seal)) {
        s.problem = `batch ${s.seal.batch_id} has no records but its seal says ${s.seal.records}: its records were removed`;
      }
      if (s.problem !== null) this.flag(s.firstSeq ?? this.nearestSeq(i), s.problem);
    });
    return { ok: this.broken === null, records: this.records, first_broken: this.broken };
  }

  private rowProblem(r: EvidenceRecord, b: OpenBatch): string | null {
    const s = b.seal;
    if (!s) return `the record belongs to batch ${r.batch_id}, which has no seal: it was inserted, or the batch's seal was removed`;
    if (r.batch_pos < b.nextPos) return `batch ${r.batch_id} has two records at position ${r.batch_pos}: a record was inserted`;
    if (r.batch_pos > b.nextPos) return `batch ${r.batch_id} has no record at position ${b.nextPos}, before this one: a record was removed`;
    if (s.authentic && r.batch_pos >= s.seal.records) {
      return `the record lies beyond the ${s.seal.records} records its batch's seal counts: it was inserted`;
    }
    if (r.hash !== recordHash(this.key, r.prev_hash, r)) return 'hash mismatch: the record was altered (or forged)';
    if (r.prev_hash !== b.prevHash) return `the record does not follow the one before it in batch ${r.batch_id}: a record was removed or inserted`;
    return null;
  }

  private open(r: EvidenceRecord): void {
    this.close();
    this.batch = {
      id: r.batch_id, seal: this.seals.get(r.batch_id), nextPos: 0,
      prevHash: batchStartHash(this.key, r.batch_id), count: 0, flagged: false,
    };
  }

  /** A batch is complete when its size and last hash are the ones its (authentic) seal recorded. */
  private close(): void {
    const b = this.batch;
    this.batch = null;
    const s = b?.seal;
    if (!b || !s || !s.authentic || s.problem !== null || b.flagged) return;
    if (b.count < s.seal.records) {
      s.problem = `batch ${b.id} has ${b.count} records but its seal says ${s.seal.records}: a record was removed`;
    } else if (b.count > s.seal.records) {
      s.problem = `batch ${b.id} has ${b.count} records but its seal says ${s.seal.records}: a record was inserted`;
    } else if (b.prevHash !== s.seal.last_hash) {
      s.problem = `the last record of batch ${b.id} is not the one its seal names: a record was replaced`;
    }
  }

  /** A batch with no rows left has no seq of its own: name the closest record sealed after it (or before). */
  private nearestSeq(i: number): number {
    for (let j = i + 1; j < this.order.length; j++) if (this.order[j]!.firstSeq !== null) return this.order[j]!.firstSeq!;
    for (let j = i - 1; j >= 0; j--) if (this.order[j]!.lastSeq !== null) return this.order[j]!.lastSeq!;
    return 0;
  }

  private flag(seq: number, reason: string): void {
    if (this.broken === null || seq < this.broken.seq) this.broken = { seq, reason };
  }
}
