// The object outbox: inside the purge transaction, one row per file that a destroyed record (or
// child row) pointed to, read under the row lock before the row went. Nothing is deleted here:
// the row commits (or rolls back) with the destruction, and the delete-object job deletes the
// file afterwards — never before its record's destruction committed, never for a record that a
// hold, a floor or a restriction kept, and never lost if the process dies right after commit.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Tx } from '../db/connect.ts';
import { arrayParam, rows } from '../db/sql.ts';
import { recordRef } from '../crypto/keys.ts';
import { qualifiedName, type ObjectColumn, type Policy, type TableRef } from '../policy/types.ts';
import { ObjectPointerError, locate, objectRef, pointerAlias } from './pointers.ts';

export interface QueuedObject {
  id: string;
  storeId: string;
}

export interface ObjectOrigin {
  batchId: string;
  runId: string;
  trigger: string;
  actor: string;
}

/** Rows of one table that went, with their pointer columns (`lethe_object_<i>`, pointers.ts). */
export interface PointerRows {
  table: TableRef;
  objects: readonly ObjectColumn[];
  rows: readonly Record<string, unknown>[];
  /** The row's key, as text. */
  key: (row: Record<string, unknown>) => string;
  subjectRef: (row: Record<string, unknown>) => string | null;
}

interface NewDeletion {
  id: string;
  storeId: string;
  bucket: string;
  key: string;
  ref: string;
  table: string;
  recordRef: string;
  subjectRef: string | null;
}

/**
 * Called by purgeBatch after the records went and before the batch closes, with the source rows
 * it locked (their pointer columns selected under the lock), the keys actually destroyed or
 * anonymised, and the child rows that went. Returns the deletions queued, for the caller to
 * enqueue after commit. A pointer it cannot place fails the whole batch (ObjectPointerError).
 */
export async function queueObjectDeletions(
  tx: Tx, ctx: EngineContext, rules: Ruleset, p: Policy, origin: ObjectOrigin,
  locked: readonly Record<string, unknown>[], done: readonly string[], refs: ReadonlyMap<string, string | null>,
  children: readonly PointerRows[], now: Date,
): Promise<QueuedObject[]> {
  const gone = new Set(done);
  const sets: PointerRows[] = [...children];
  if (p.objects.length > 0) {
    sets.push({ table: p.source, objects: p.objects, rows: locked.filter((r) => gone.has(String(r.k))), key: (r) => String(r.k), subjectRef: (r) => refs.get(String(r.k)) ?? null });
  }
  const out: NewDeletion[] = [];
  const seen = new Set<string>();
  for (const set of sets) {
    const table = qualifiedName(set.table);
    set.objects.forEach((o, i) => {
      const store = rules.stores.get(o.store);
      if (!store) throw new ObjectPointerError(`policy ${p.id}: store ${o.store} (objects column ${table}.${o.column}) is not in the store registry`);
      for (const row of set.rows) {
        const value = row[pointerAlias(i)];
        const loc = locate(value === null || value === undefined ? null : String(value), store);
        if (loc === undefined) continue;
        if ('refused' in loc) {
          throw new ObjectPointerError(`policy ${p.id}: a value of ${table}.${o.column} ${loc.refused} (store ${store.id}); the batch destroyed nothing — fix the pointer or the store registry`);
        }
        const ref = objectRef(ctx.keys, store.id, loc);
        // Two columns or rows of one batch naming one file: it is deleted (and recorded) once.
        if (seen.has(ref)) continue;
        seen.add(ref);
        const k = set.key(row);
        out.push({ id: randomUUID(), storeId: store.id, bucket: loc.bucket, key: loc.key, ref, table, recordRef: recordRef(ctx.keys, table, k), subjectRef: set.subjectRef(row) });
      }
    });
  }
  if (out.length === 0) return [];
  const col = <K extends keyof NewDeletion>(k: K) => arrayParam(out.map((d) => d[k]));
  const inserted = await rows<{ id: string; store_id: string }>(tx, sql`INSERT INTO lethe.object_deletions (id, store_id, bucket,
      object_key, object_ref, status, run_id, batch_id, policy_id, policy_version, category, classification, trigger, actor,
      table_name, record_ref, subject_ref, next_attempt_at, created_at)
    SELECT u.id, u.store_id, u.bucket, u.object_key, u.object_ref, 'pending', ${origin.runId}::uuid, ${origin.batchId}::uuid,
      ${p.id}, ${p.version}, ${p.category}, ${p.classification}, ${origin.trigger}, ${origin.actor},
      u.table_name, u.record_ref, u.subject_ref, ${now}, ${now}
    FROM unnest(${col('id')}::uuid[], ${col('storeId')}::text[], ${col('bucket')}::text[], ${col('key')}::text[], ${col('ref')}::text[],
      ${col('table')}::text[], ${col('recordRef')}::text[], ${col('subjectRef')}::text[])
      AS u(id, store_id, bucket, object_key, object_ref, table_name, record_ref, subject_ref)
    ON CONFLICT (batch_id, object_ref) DO NOTHING RETURNING id::text, store_id`);
  return inserted.map((r) => ({ id: r.id, storeId: r.store_id }));
}
