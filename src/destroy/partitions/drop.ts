// One whole partition, one transaction: judged again under its lock, every row's evidence
// written (read in chunks of heap pages, hashed in Node, inserted set-based while the next
// chunk is hashed), the declared children deleted by their foreign key, files and partner
// requests queued, then DETACH and DROP, the batch row, and the seal last. A crash anywhere
// before the commit leaves the partition and no evidence; after it, neither.
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../../engine.ts';
import type { Tx } from '../../db/connect.ts';
import { LOCKS, one, partitionLane, qualified, rows } from '../../db/sql.ts';
import { databaseError } from '../../log.ts';
import { recordRef } from '../../crypto/keys.ts';
import { qualifiedName, type Policy } from '../../policy/types.ts';
import { EvidenceRows, type EvidenceKind } from '../../evidence/append.ts';
import { EvidenceStream } from '../../evidence/stream.ts';
import { queueSubjectRequests, type QueuedRequest } from '../../partners/outbox.ts';
import { queueObjectDeletions, type QueuedObject } from '../../objects/outbox.ts';
import { pointerColumns } from '../../objects/pointers.ts';
import { deleteAction } from '../actions/delete.ts';
import type { PurgeAction } from '../actions/index.ts';
import { destroyRows, type DestroyedRows } from '../statement.ts';
import { pointerRows } from '../purge.ts';
import type { SubjectRefs } from '../subject-refs.ts';
import { col } from '../predicates.ts';
import { leavesOf, partitionTable, rangeLeaf, type RangePartition } from './catalog.ts';
import { judgePartition, type KeptReason } from './decide.ts';
import { newBatchId } from '../../evidence/batch-id.ts';

/** Rows read, hashed and inserted per step: bounded memory whatever the partition's size. */
const CHUNK_ROWS = 4_000;
/** How long one DETACH waits for the parent's lock, how often it tries, and the pause after the n-th try (n × it). */
const DETACH_LOCK_WAIT_MS = 2000;
const DETACH_ATTEMPTS = 5;
const DETACH_PAUSE_MS = 1000;
const LOCK_NOT_AVAILABLE = '55P03';
export const PARTITION_DROPPED = 'partition_dropped';

export interface ScanRef {
  id: string;
  runId: string;
  trigger: string;
}

export interface DroppedPartition {
  batchId: string;
  partition: RangePartition;
  records: number;
  children: number;
  ms: number;
  partnerRequests: QueuedRequest[];
  objectDeletions: QueuedObject[];
}

export type DropResult = { dropped: DroppedPartition } | { kept: KeptReason | 'gone'; rows: number };

/**
 * The rows of a partition are not deleted one by one: they stay while their evidence is written
 * and DROP takes them all at the end. This "action" only returns what the statement read.
 */
const readInPlace: PurgeAction = {
  ...deleteAction.purge!,
  source: (_p, _rules, victims, returning) => ({
    before: [sql`v AS (${victims.kind === 'chosen' ? victims.rows : sql`SELECT NULL WHERE false`})`],
    d: sql`SELECT ${returning('v')} FROM v`,
  }),
};

/**
 * `refs`: subject refs kept across the scan's partitions (the same customers come back in each);
 * `lane`: which of the table's partition lanes this drop holds (0 ≤ lane < PARTITION_LANES).
 */
export async function dropPartition(
  ctx: EngineContext, rules: Ruleset, p: Policy, scan: ScanRef, part: RangePartition, refs: SubjectRefs, lane: number,
): Promise<DropResult> {
  const started = performance.now();
  return ctx.db.transaction(async (tx) => {
    // Shared with every purge, exclusive for `hold add`: a hold placed before this point is read below.
    await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${LOCKS.holds})`);
    // One drop per lane of the table's partitions, and no purge batch of the table meanwhile
    // (LOCKS.partitions); the partition must still be the one the scan saw: pg_partman, a DBA or
    // another scan may have moved or dropped it since.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCKS.partitions}, ${partitionLane(qualifiedName(p.source), lane)})`);
    if (!(await stillAttached(tx, p, part))) return { kept: 'gone', rows: 0 } as const;
    // Reads go on; nothing writes a row of it (or locks one to) until this transaction ends.
    await tx.execute(sql`LOCK TABLE ${partitionTable(part)} IN EXCLUSIVE MODE`);
    const now = ctx.clock.now();
    const holds = new Set((await rows<{ r: string }>(tx, sql`SELECT DISTINCT subject_ref AS r FROM lethe.holds
      WHERE released_at IS NULL AND (policy_id IS NULL OR policy_id = ${p.id})`)).map((h) => h.r));
    const verdict = await judgePartition(tx, rules, p, part, now, holds, refs);
    if (!verdict.whole) return { kept: verdict.reason, rows: verdict.rows } as const;

    const batchId = newBatchId();
    const actor = (await one<{ actor: string }>(tx, sql`SELECT actor FROM lethe.runs WHERE id = ${scan.runId}`))!.actor;
    const base = { runId: scan.runId, policyId: p.id, policyVersion: p.version, category: p.category, classification: p.classification,
      trigger: scan.trigger, partner: null, actor, occurredAt: now };
    const stream = new EvidenceStream(tx, ctx.keys, batchId);
    const head = new EvidenceRows();
    head.add(head.kind({ ...base, action: PARTITION_DROPPED, table: qualifiedName(p.source), fields: partitionFields(part, verdict.rows) }), null, null);
    stream.write(head);

    const origin = { batchId, runId: scan.runId, trigger: scan.trigger, actor };
    const subjects = p.partners === 'notify' ? new Set<string>() : undefined;
    const objectDeletions: QueuedObject[] = [];
    let records = 0;
    let children = 0;
    await eachChunk(tx, rules, p, part, verdict.rows, stream, async (gone) => {
      const ev = evidenceOf(ctx, p, gone, refs, (k) => ({ ...base, ...k }));
      stream.write(ev.rows);
      records += ev.records;
      children += gone.i.length - ev.records;
      if (subjects) for (let n = 0; n < gone.i.length; n++) if (gone.i[n] === 0 && gone.s[n] !== null) subjects.add(gone.s[n]!);
      if (gone.o) objectDeletions.push(...await stream.run(() => queueObjectDeletions(tx, ctx, rules, p, origin, ...pointerRows(p, gone, refs), now)));
    });
    await stream.flush();
    // Under the lock nothing came or went: a difference means the judgement read other rows.
    if (records !== verdict.rows) throw new Error(`partition ${qualifiedName(part)}: ${records} rows read for evidence, ${verdict.rows} judged; nothing was dropped`);
    const partnerRequests = subjects ? await queueSubjectRequests(tx, ctx, rules, p, origin, [...subjects], now) : [];

    await detach(tx, p, part);
    await tx.execute(sql`DROP TABLE ${partitionTable(part)}`);
    await tx.execute(sql`UPDATE lethe.scans SET pages = pages + 1, found = found + ${records} WHERE id = ${scan.id}`);
    // Last before commit: the chain lock the seal takes is held only for the seal and the batch row.
    const sealed = await stream.seal(now);
    const ms = Math.round(performance.now() - started);
    // The batch a partition was, for runs, sweeps, metrics, the register and `evidence verify`'s
    // cross-check of batches against seals: no keys, its size in rows.
    await tx.execute(sql`INSERT INTO lethe.batches (id, run_id, scan_id, policy_id, policy_version, trigger, actor, keys, size,
        status, destroyed, children, attempts, created_at, finished_at, purge_ms, seal_hash, evidence_records)
      VALUES (${batchId}, ${scan.runId}, ${scan.id}, ${p.id}, ${p.version}, ${scan.trigger}, ${actor}, NULL, ${records},
        'done', ${records}, ${children}, 1, ${new Date()}, ${now}, ${ms}, ${sealed.sealHash}, ${sealed.records})`);
    return { dropped: { batchId, partition: part, records, children, ms, partnerRequests, objectDeletions } };
  });
}

/** Evidence `fields` of the partition's own row: which partition, its bounds, how many records. */
function partitionFields(part: RangePartition, records: number): Record<string, string> {
  return { [PARTITION_DROPPED]: qualifiedName(part), from: part.from ?? 'MINVALUE', to: part.to ?? 'MAXVALUE', records: String(records) };
}

/**
 * DETACH takes ACCESS EXCLUSIVE on the parent, and every query on the parent queues behind the
 * request while it waits (for a long report, say). So it waits a little, steps back to let the
 * queue through, and tries again; after the last try the drop fails and its rows go by batch.
 */
async function detach(tx: Tx, p: Policy, part: RangePartition): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await tx.execute(sql`SAVEPOINT lethe_detach`);
    try {
      await tx.execute(sql`SET LOCAL lock_timeout = ${sql.raw(`'${DETACH_LOCK_WAIT_MS}ms'`)}`);
      await tx.execute(sql`ALTER TABLE ${qualified(p.source.schema, p.source.table)} DETACH PARTITION ${partitionTable(part)}`);
      await tx.execute(sql`SET LOCAL lock_timeout = DEFAULT`);
      await tx.execute(sql`RELEASE SAVEPOINT lethe_detach`);
      return;
    } catch (e) {
      if (databaseError(e)?.code !== LOCK_NOT_AVAILABLE || attempt >= DETACH_ATTEMPTS) throw e;
      await tx.execute(sql`ROLLBACK TO SAVEPOINT lethe_detach`);
      await new Promise((r) => setTimeout(r, DETACH_PAUSE_MS * attempt));
    }
  }
}

async function stillAttached(tx: Tx, p: Policy, part: RangePartition): Promise<boolean> {
  const leaves = await rows<{ schema: string; table: string; kind: string; bound: string | null }>(tx, sql`SELECT * FROM (${leavesOf(p.source)}) l
    WHERE l.schema = ${part.schema} AND l.table = ${part.table}`);
  const now = leaves[0] && rangeLeaf(leaves[0]);
  return now !== undefined && now.bound === part.bound;
}

/**
 * Reads the partition in chunks of heap pages (a TID range scan: no index needed, each row once,
 * stable while the partition is locked), each chunk's declared children deleted in the same
 * statement. The next chunk's read is queued before `fn` writes this one's evidence, so
 * PostgreSQL inserts one chunk while Node hashes the next (the stream keeps the statements in order).
 */
async function eachChunk(
  tx: Tx, rules: Ruleset, p: Policy, part: RangePartition, total: number, stream: EvidenceStream, fn: (gone: DestroyedRows) => Promise<void>,
): Promise<void> {
  const [size] = await rows<{ pages: number }>(tx, sql`SELECT (pg_relation_size(format('%I.%I', ${part.schema}::text, ${part.table}::text)::regclass)
    / current_setting('block_size')::int)::int AS pages`);
  const pages = size!.pages;
  if (pages === 0 || total === 0) return;
  const step = Math.max(1, Math.ceil((CHUNK_ROWS * pages) / total));
  const read = (first: number) => destroyRows(tx, rules, p, readInPlace, { kind: 'chosen', rows: sql`SELECT ${col(p.source.key)} AS lethe_k,
      ${col(p.source.subject)}::text AS lethe_s ${pointerColumns(p.objects.map((o) => o.column), 't')}
    FROM ${partitionTable(part)} t WHERE t.ctid >= ${`(${first},0)`}::tid AND t.ctid < ${`(${first + step},0)`}::tid` });
  let next = stream.run(() => read(0));
  for (let first = 0; first < pages; first += step) {
    const gone = await next;
    if (first + step < pages) {
      const from = first + step;
      next = stream.run(() => read(from));
      next.catch(() => {});
    }
    await fn(gone);
  }
}

/** One chunk's evidence: a `delete` row per record and per child row, refs computed here. */
function evidenceOf(
  ctx: EngineContext, p: Policy, gone: DestroyedRows, refs: SubjectRefs, kind: (k: Pick<EvidenceKind, 'action' | 'table' | 'fields'>) => EvidenceKind,
): { rows: EvidenceRows; records: number } {
  const ev = new EvidenceRows();
  const table = qualifiedName(p.source);
  const source = ev.kind(kind({ action: 'delete', table, fields: null }));
  const childTables = p.children.map((c) => qualifiedName(c));
  const childKinds = childTables.map((t) => ev.kind(kind({ action: 'delete', table: t, fields: null })));
  let records = 0;
  for (let n = 0; n < gone.i.length; n++) {
    const i = gone.i[n]!;
    const t = i === 0 ? table : childTables[i - 1]!;
    ev.add(i === 0 ? source : childKinds[i - 1]!, recordRef(ctx.keys, t, gone.k[n]!), refs.of(gone.s[n]!));
    if (i === 0) records++;
  }
  return { rows: ev, records };
}
