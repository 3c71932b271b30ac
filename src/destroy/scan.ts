// A scan walks one policy's due records by keyset pagination and turns each page into a batch
// row. Expiry policies page on (clock, key) — the order an index on (clock, key) serves, so the
// cost follows the due set, not the table; other modes page on the key. Each page commits with
// its cursor, so a scan killed halfway resumes where it stopped; two processors on the same scan
// (a job redelivered after Redis lost it) serialise on the scan row.
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { one, rows } from '../db/sql.ts';
import { actionPending, col, eligible, sourceTable, subjectIs, whereFilter } from './predicates.ts';
import type { Policy } from '../policy/types.ts';

export type ScanMode = 'policy' | 'subject' | 'erasure' | 'restricted';

export interface ScanRow extends Record<string, unknown> {
  run_id: string;
  policy_id: string;
  policy_version: string;
  status: string;
  mode: ScanMode;
  subject: string | null;
  cursor: { from: string; key: string } | null;
  as_of_ms: number;
}

export type ScanStep = { kind: 'page'; batchId: string; size: number } | { kind: 'done' };

export class PolicyChangedError extends Error {
  override name = 'PolicyChangedError';
}

/** The evidence trigger of what a scan finds. */
export function triggerOf(p: Policy, mode: ScanMode): string {
  return mode === 'erasure' || mode === 'restricted' ? 'erasure_request' : p.trigger.kind;
}

interface Page {
  rows: { f: string; k: string }[];
}

async function takePage(tx: Tx, rules: Ruleset, p: Policy, scan: ScanRow, limit: number): Promise<Page> {
  const asOf = new Date(Number(scan.as_of_ms));
  const table = { schema: p.source.schema, table: p.source.table };
  const keyType = rules.types.of(table, p.source.key);
  const key = col(p.source.key);
  if (scan.mode === 'restricted') {
    const after = scan.cursor ? sql`AND r.record_key > ${scan.cursor.key}` : sql``;
    return { rows: await rows(tx, sql`SELECT '' AS f, r.record_key AS k FROM lethe.restrictions r
      WHERE r.policy_id = ${p.id} AND r.closed_at IS NULL ${after} ORDER BY r.record_key LIMIT ${limit}`) };
  }
  const subject = scan.subject === null ? sql`true` : subjectIs(p, scan.subject, rules.types.baseOf(table, p.source.subject));
  // An erasure request ignores the policy's clock: everything of the subject that the policy
  // governs is a candidate; the purge decides destroy, restrict (floor) or keep (hold).
  const due = scan.mode === 'erasure' ? sql`${whereFilter(p)} AND ${actionPending(p)}` : eligible(p, asOf);
  if (p.trigger.kind === 'expiry' && scan.mode !== 'erasure') {
    const clock = col(p.trigger.from);
    const clockType = rules.types.of(table, p.trigger.from);
    const after: SQL = scan.cursor
      ? sql`AND (${clock}, ${key}) > (${scan.cursor.from}::${sql.raw(clockType)}, ${scan.cursor.key}::${sql.raw(keyType)})`
      : sql``;
    return { rows: await rows(tx, sql`SELECT ${clock}::text AS f, ${key}::text AS k FROM ${sourceTable(p)} t
      WHERE ${due} AND ${subject} ${after} ORDER BY ${clock}, ${key} LIMIT ${limit}`) };
  }
  const after = scan.cursor ? sql`AND ${key} > ${scan.cursor.key}::${sql.raw(keyType)}` : sql``;
  return { rows: await rows(tx, sql`SELECT '' AS f, ${key}::text AS k FROM ${sourceTable(p)} t
    WHERE ${due} AND ${subject} ${after} ORDER BY ${key} LIMIT ${limit}`) };
}

/** Takes the next page of a scan and records it as a batch, in one transaction. */
export async function scanPage(ctx: EngineContext, rules: Ruleset, scanId: string, batchSize: number): Promise<ScanStep> {
  return ctx.db.transaction(async (tx) => {
    const scan = await one<ScanRow>(tx, sql`SELECT run_id::text, policy_id, policy_version, status, mode, subject, cursor,
        (extract(epoch FROM as_of) * 1000)::float8 AS as_of_ms
      FROM lethe.scans WHERE id = ${scanId} FOR UPDATE`);
    if (!scan) throw new Error(`scan ${scanId} does not exist`);
    if (scan.status === 'done' || scan.status === 'failed') return { kind: 'done' } as const;
    const p = rules.get(scan.policy_id);
    if (!p || p.version !== scan.policy_version) {
      throw new PolicyChangedError(`policy ${scan.policy_id} changed or was removed since scan ${scanId} began`);
    }
    const page = (await takePage(tx, rules, p, scan, batchSize)).rows;
    if (page.length === 0) {
      // The subject filter is a raw id, the cursor a raw business key: kept only while the scan is open.
      await tx.execute(sql`UPDATE lethe.scans SET status = 'done', subject = NULL, cursor = NULL, finished_at = ${new Date()} WHERE id = ${scanId}`);
      return { kind: 'done' } as const;
    }
    const last = page[page.length - 1]!;
    const batchId = randomUUID();
    await tx.execute(sql`INSERT INTO lethe.batches (id, run_id, scan_id, policy_id, policy_version, trigger, actor, keys, size, status, created_at)
      SELECT ${batchId}, r.id, ${scanId}, ${p.id}, ${p.version}, ${triggerOf(p, scan.mode)}, r.actor,
        ${sql.param(page.map((x) => x.k))}::text[], ${page.length}, 'pending', ${new Date()}
      FROM lethe.runs r WHERE r.id = ${scan.run_id}`);
    await tx.execute(sql`UPDATE lethe.scans SET status = 'running', cursor = ${JSON.stringify({ from: last.f, key: last.k })}::jsonb,
      pages = pages + 1, found = found + ${page.length} WHERE id = ${scanId}`);
    return { kind: 'page', batchId, size: page.length } as const;
  });
}
