// A scan walks one policy's due records by keyset pagination on (clock, key) — the order an
// index on (clock, key) serves — and turns each page into a batch row. Each page commits
// with its cursor, so a scan killed halfway resumes where it stopped; two processors on the
// same scan (a job redelivered after Redis lost it) serialise on the scan row.
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { one, rows } from '../db/sql.ts';
import { col, eligible, sourceTable } from './predicates.ts';
import type { Policy } from '../policy/types.ts';

export interface ScanRow extends Record<string, unknown> {
  run_id: string;
  policy_id: string;
  policy_version: string;
  status: string;
  cursor: { from: string; key: string } | null;
  as_of_ms: number;
}

export type ScanStep = { kind: 'page'; batchId: string; size: number } | { kind: 'done' };

export class PolicyChangedError extends Error {
  override name = 'PolicyChangedError';
}

/** Which column orders the scan: the expiry clock. */
function clockColumn(p: Policy): string {
  if (p.trigger.kind !== 'expiry') throw new Error(`policy ${p.id}: ${p.trigger.kind} scans are not supported yet`);
  return p.trigger.from;
}

/** Takes the next page of a scan and records it as a batch, in one transaction. */
export async function scanPage(ctx: EngineContext, rules: Ruleset, scanId: string, batchSize: number): Promise<ScanStep> {
  return ctx.db.transaction(async (tx) => {
    const scan = await one<ScanRow>(tx, sql`SELECT run_id::text, policy_id, policy_version, status, cursor, (extract(epoch FROM as_of) * 1000)::float8 AS as_of_ms
      FROM lethe.scans WHERE id = ${scanId} FOR UPDATE`);
    if (!scan) throw new Error(`scan ${scanId} does not exist`);
    if (scan.status === 'done' || scan.status === 'failed') return { kind: 'done' } as const;
    const p = rules.get(scan.policy_id);
    if (!p || p.version !== scan.policy_version) {
      throw new PolicyChangedError(`policy ${scan.policy_id} changed or was removed since scan ${scanId} began`);
    }
    const asOf = new Date(Number(scan.as_of_ms));
    const clock = clockColumn(p);
    const table = { schema: p.source.schema, table: p.source.table };
    const after: SQL = scan.cursor
      ? sql`AND (${col(clock)}, ${col(p.source.key)}) > (${scan.cursor.from}::${sql.raw(rules.types.of(table, clock))}, ${scan.cursor.key}::${sql.raw(rules.types.of(table, p.source.key))})`
      : sql``;
    const page = await rows<{ f: string; k: string }>(tx, sql`SELECT ${col(clock)}::text AS f, ${col(p.source.key)}::text AS k
      FROM ${sourceTable(p)} t WHERE ${eligible(p, asOf)} ${after}
      ORDER BY ${col(clock)}, ${col(p.source.key)} LIMIT ${batchSize}`);
    if (page.length === 0) {
      await tx.execute(sql`UPDATE lethe.scans SET status = 'done', finished_at = ${new Date()} WHERE id = ${scanId}`);
      return { kind: 'done' } as const;
    }
    const last = page[page.length - 1]!;
    const batchId = randomUUID();
    await tx.execute(sql`INSERT INTO lethe.batches (id, run_id, scan_id, policy_id, policy_version, trigger, actor, keys, size, status, created_at)
      SELECT ${batchId}, r.id, ${scanId}, ${p.id}, ${p.version}, r.trigger, r.actor, ${sql.param(page.map((x) => x.k))}::text[], ${page.length}, 'pending', ${new Date()}
      FROM lethe.runs r WHERE r.id = ${scan.run_id}`);
    await tx.execute(sql`UPDATE lethe.scans SET status = 'running', cursor = ${JSON.stringify({ from: last.f, key: last.k })}::jsonb,
      pages = pages + 1, found = found + ${page.length} WHERE id = ${scanId}`);
    return { kind: 'page', batchId, size: page.length } as const;
  });
}
