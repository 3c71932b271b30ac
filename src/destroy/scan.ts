// A scan finds one policy's due records and cuts them into batches. It reads the due set ONCE:
// a WITH HOLD cursor over `SELECT key … WHERE due ORDER BY key`, planned for the whole result
// and materialised by PostgreSQL when it is declared, then fetched a batch at a time. Paging
// with `ORDER BY clock, key LIMIT n` instead re-reads and re-sorts every tie of the clock for
// every page when no index covers (equalities…, clock, key): quadratic in the due set on
// bulk-loaded tables and `date` clocks. Each batch commits with the scan's cursor (the last
// key taken), so a scan killed halfway resumes after it; two processors of one scan (a job
// redelivered after Redis lost it) cannot both cut batches, because each page compares and
// sets that cursor under the scan row's lock.
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Db, Tx } from '../db/connect.ts';
import { one, rows } from '../db/sql.ts';
import { withSession } from '../db/session.ts';
import { actionPending, col, eligible, sourceTable, subjectIs, whereFilter } from './predicates.ts';
import type { Policy } from '../policy/types.ts';
import { PolicyChangedError } from '../errors.ts';
import { dropDuePartitions, type DroppedPartition } from './partitions/index.ts';
import { newBatchId } from '../evidence/batch-id.ts';


export type ScanMode = 'policy' | 'subject' | 'erasure' | 'restricted';

export interface ScanRow extends Record<string, unknown> {
  run_id: string;
  policy_id: string;
  policy_version: string;
  status: string;
  mode: ScanMode;
  subject: string | null;
  cursor: { key: string } | null;
  as_of_ms: number;
}

/** The evidence trigger of what a scan finds. */
export function triggerOf(p: Policy, mode: ScanMode): string {
  return mode === 'erasure' || mode === 'restricted' ? 'erasure_request' : p.trigger.kind;
}

export interface ScanOptions {
  batchSize: number;
  /** Called once each batch has committed: enqueue it, or purge it at once (erasure). */
  onBatch: (batchId: string, size: number) => Promise<void>;
  /** Aborted: stop between batches; the cursor is committed and a later run resumes. */
  signal?: AbortSignal;
  /**
   * Drop wholly due partitions before cutting batches (src/destroy/partitions/), calling
   * `onDropped` after each drop committed; absent: row batches only.
   */
  partitions?: { onDropped?: (d: DroppedPartition) => Promise<void>; lanes?: number };
}

export type ScanResult =
  | { status: 'done'; batches: number; records: number }
  | { status: 'paused' | 'taken-over'; batches: number; records: number };

/** The due keys of a scan after `after` (exclusive), in key order. */
function dueKeys(rules: Ruleset, p: Policy, scan: ScanRow, after: string | null): SQL {
  const keyType = rules.types.of(p.source, p.source.key);
  if (scan.mode === 'restricted') {
    return sql`SELECT r.record_key AS k FROM lethe.restrictions r
      WHERE r.policy_id = ${p.id} AND r.closed_at IS NULL ${after === null ? sql`` : sql`AND r.record_key > ${after}`}
      ORDER BY r.record_key`;
  }
  const key = col(p.source.key);
  const subject = scan.subject === null ? sql`true` : subjectIs(p, scan.subject, rules.types.baseOf(p.source, p.source.subject));
  // An erasure request ignores the policy's clock: everything of the subject that the policy
  // governs is a candidate; the purge decides destroy, restrict (floor) or keep (hold).
  const due = scan.mode === 'erasure' ? sql`${whereFilter(p)} AND ${actionPending(p)}` : eligible(p, new Date(Number(scan.as_of_ms)));
  const resume = after === null ? sql`` : sql`AND ${key} > ${after}::${sql.raw(keyType)}`;
  return sql`SELECT ${key}::text AS k FROM ${sourceTable(p)} t WHERE ${due} AND ${subject} ${resume} ORDER BY ${key}`;
}

async function loadScan(tx: Tx, rules: Ruleset, scanId: string): Promise<{ scan: ScanRow; policy: Policy } | undefined> {
  const scan = await one<ScanRow>(tx, sql`SELECT run_id::text, policy_id, policy_version, status, mode, subject, cursor,
      (extract(epoch FROM as_of) * 1000)::float8 AS as_of_ms
    FROM lethe.scans WHERE id = ${scanId} FOR UPDATE`);
  if (!scan) throw new Error(`scan ${scanId} does not exist`);
  if (scan.status === 'done' || scan.status === 'failed') return undefined;
  const policy = rules.get(scan.policy_id);
  if (!policy || policy.version !== scan.policy_version) {
    throw new PolicyChangedError(`policy ${scan.policy_id} changed or was removed since scan ${scanId} began`);
  }
  return { scan, policy };
}

/** Closes a scan; its cursor (a business key) and subject (a raw id) are kept only while it is open. */
export async function closeScan(db: Db | Tx, scanId: string, status: 'done' | 'failed', at: Date, error?: string): Promise<void> {
  await db.execute(sql`UPDATE lethe.scans SET status = ${status}, cursor = NULL, subject = NULL, finished_at = ${at},
    error = ${error ?? null} WHERE id = ${scanId} AND status IN ('pending', 'running')`);
}

/**
 * Runs one scan to its end (or until `signal` aborts, or another processor takes it over):
 * every due key goes into exactly one batch, `onBatch` is called after each batch committed.
 */
export async function runScan(ctx: EngineContext, rules: Ruleset, scanId: string, opts: ScanOptions): Promise<ScanResult> {
  const start = await ctx.db.transaction(async (tx) => {
    const found = await loadScan(tx, rules, scanId);
    if (found) await tx.execute(sql`UPDATE lethe.scans SET status = 'running' WHERE id = ${scanId}`);
    return found;
  });
  if (!start) return { status: 'done', batches: 0, records: 0 };
  const { scan, policy } = start;
  let last = scan.cursor?.key ?? null;
  let batches = 0;
  let records = 0;
  // Whole partitions first, then batches for the rest: only a policy-wide scan, and only before
  // it cut its first batch (one resumed mid-way leaves what it did not reach to the next scan).
  if (opts.partitions && scan.mode === 'policy' && last === null) {
    const whole = await dropDuePartitions(ctx, rules, policy, { id: scanId, runId: scan.run_id, trigger: triggerOf(policy, scan.mode) },
      { asOf: new Date(Number(scan.as_of_ms)), signal: opts.signal, onDropped: opts.partitions.onDropped, lanes: opts.partitions.lanes });
    batches += whole.partitions;
    records += whole.records;
  }
  const cursor = `lethe_scan_${randomUUID().replace(/-/g, '')}`;
  return withSession(ctx.db, async (session) => {
    // Planned for the whole result (a cursor is otherwise planned for its first rows: a walk
    // of the primary key filtering the whole table), and materialised at this commit.
    await session.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL cursor_tuple_fraction = 1`);
      await tx.execute(sql`DECLARE ${sql.identifier(cursor)} NO SCROLL CURSOR WITH HOLD FOR ${dueKeys(rules, policy, scan, last)}`);
    });
    try {
      for (;;) {
        if (opts.signal?.aborted) return { status: 'paused', batches, records } as const;
        const page = await rows<{ k: string }>(session, sql`FETCH FORWARD ${sql.raw(String(opts.batchSize))} FROM ${sql.identifier(cursor)}`);
        const step = await ctx.db.transaction(async (tx) => {
          const now = await loadScan(tx, rules, scanId);
          // Someone else cut batches from this scan meanwhile (or closed it): stop, never twice.
          if (!now || (now.scan.cursor?.key ?? null) !== last) return 'taken-over' as const;
          if (page.length === 0) {
            await closeScan(tx, scanId, 'done', new Date());
            return 'done' as const;
          }
          const batchId = newBatchId();
          const keys = page.map((r) => r.k);
          await tx.execute(sql`INSERT INTO lethe.batches (id, run_id, scan_id, policy_id, policy_version, trigger, actor, keys, size, status, created_at)
            SELECT ${batchId}, r.id, ${scanId}, ${policy.id}, ${policy.version}, ${triggerOf(policy, scan.mode)}, r.actor,
              ${sql.param(keys)}::text[], ${keys.length}, 'pending', ${new Date()}
            FROM lethe.runs r WHERE r.id = ${scan.run_id}`);
          await tx.execute(sql`UPDATE lethe.scans SET cursor = ${JSON.stringify({ key: keys.at(-1) })}::jsonb,
            pages = pages + 1, found = found + ${keys.length} WHERE id = ${scanId}`);
          return { batchId, size: keys.length };
        });
        if (step === 'done') return { status: 'done', batches, records } as const;
        if (step === 'taken-over') return { status: 'taken-over', batches, records } as const;
        last = page.at(-1)!.k;
        batches++;
        records += step.size;
        await opts.onBatch(step.batchId, step.size);
      }
    } finally {
      await session.execute(sql`CLOSE ${sql.identifier(cursor)}`).catch(() => {});
    }
  });
}
