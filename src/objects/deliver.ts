// One attempt at one object: claim its row (a lease, so a killed worker's object is retried once
// the lease runs out, and never by two workers at once), delete every version of it outside any
// transaction, check nothing is left, record the outcome. Deleting twice is harmless: a second
// attempt finds the object absent.
import { sql } from 'drizzle-orm';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EngineContext } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { backoffMs } from '../partners/deliver.ts';
import { describeError } from '../log.ts';
import { ObjectRefusedError, ObjectStoreError, deleteObject, remainingVersions, s3Client } from './client.ts';
import { DELETION_COLUMNS, isDeletionId, settleDeleted, settleFailed, settleKept, type DeletionRow } from './deletions.ts';
import type { CredentialLookup, Store, StoreRegistry } from './stores.ts';
import { stillPointedFrom, type PointerColumn } from './shared.ts';
import { DEFAULT_RETRY_MAX_MS } from './stores.ts';

/** A store that refuses (Object Lock, retention, a bucket policy) gets this many tries at most. */
export const MAX_REFUSED_ATTEMPTS = 3;

export interface ObjectDeliveryOptions {
  /** First retry delay; doubles per attempt, with jitter. Unset: the store's `retry_base_ms`. */
  baseDelayMs?: number;
  maxDelayMs: number;
  random: () => number;
  credentials?: CredentialLookup;
}

export const DEFAULT_OBJECT_DELIVERY: ObjectDeliveryOptions = { maxDelayMs: 3_600_000, random: Math.random };

/** The stores and one client per store, shared by every attempt of a process. */
export class ObjectRuntime {
  private readonly clients = new Map<string, S3Client>();

  /** `pointers`: per store, the columns whose rows may still point to a file (shared.ts). */
  constructor(
    readonly stores: StoreRegistry, readonly pointers: ReadonlyMap<string, readonly PointerColumn[]>,
    readonly delivery: ObjectDeliveryOptions = DEFAULT_OBJECT_DELIVERY,
  ) {}

  client(store: Store): S3Client {
    let c = this.clients.get(store.id);
    if (!c) {
      c = s3Client(store, this.delivery.credentials);
      this.clients.set(store.id, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}

export type ObjectOutcome =
  | { kind: 'deleted'; versions: number; absent: boolean }
  | { kind: 'retry'; storeId: string; attempts: number; delayMs: number; reason: string }
  | { kind: 'failed'; reason: string }
  /** A row lethe did not destroy still points to the file: it stays, for that row's own destruction. */
  | { kind: 'kept'; reason: string }
  | { kind: 'skipped'; reason: string };

export async function deliverObject(ctx: EngineContext, rt: ObjectRuntime, deletionId: string): Promise<ObjectOutcome> {
  const now = ctx.clock.now();
  const r = await claim(ctx, rt, deletionId, now);
  if (!r) return { kind: 'skipped', reason: 'not due, leased by another attempt, or already settled' };
  const log = ctx.log.child({ deletion: r.id, store: r.store_id, object: r.object_ref, attempt: r.attempts });
  const store = rt.stores.get(r.store_id);
  if (!store) return settle(ctx, r, { kind: 'failed', reason: `store ${r.store_id} is not in the store registry` }, log);
  if (r.bucket === null || r.object_key === null) return settle(ctx, r, { kind: 'failed', reason: 'the pointer was cleared before the object was deleted' }, log);
  const loc = { bucket: r.bucket, key: r.object_key };
  const users = await stillPointedFrom(ctx.db, rt.pointers.get(store.id) ?? [], loc);
  if (users.length > 0) return settle(ctx, r, { kind: 'kept', reason: `still pointed to from ${users.join(', ')}` }, log);
  const client = rt.client(store);
  let outcome: ObjectOutcome;
  try {
    const result = await deleteObject(client, store, loc);
    const left = await remainingVersions(client, store, loc);
    if (left > 0) {
      // A survivor is reported, never silently deleted again: something re-creates it.
      log.error({ versionsLeft: left }, 'post-destruction check: the object is still there after its deletion (replication, a writer, or a store that ignores deletes?)');
      await settleFailed(ctx.db, ctx.keys, r.id, `${left} version(s) remained after deletion`, ctx.clock.now(), left);
      return { kind: 'failed', reason: `${left} version(s) remained after deletion` };
    }
    outcome = { kind: 'deleted', ...result };
  } catch (e) {
    const reason = e instanceof ObjectRefusedError || e instanceof ObjectStoreError ? e.message : `error: ${describeError(e)}`.split(loc.key).join('…');
    const limit = e instanceof ObjectRefusedError ? Math.min(store.maxAttempts, MAX_REFUSED_ATTEMPTS) : store.maxAttempts;
    outcome = r.attempts >= limit
      ? { kind: 'failed', reason: `${reason} (gave up after ${r.attempts} attempts)` }
      : { kind: 'retry', storeId: store.id, attempts: r.attempts, delayMs: backoffMs(r.attempts, { ...rt.delivery, baseDelayMs: rt.delivery.baseDelayMs ?? store.retryBaseMs, maxDelayMs: Math.min(rt.delivery.maxDelayMs, store.retryMaxMs ?? DEFAULT_RETRY_MAX_MS) }), reason };
  }
  return settle(ctx, r, outcome, log);
}

/** Takes the row for one attempt: due, pending, not leased. The lease outlasts the store's timeout. */
async function claim(ctx: EngineContext, rt: ObjectRuntime, id: string, now: Date): Promise<DeletionRow | undefined> {
  if (!isDeletionId(id)) return undefined;
  const [row] = await rows<{ store_id: string }>(ctx.db, sql`SELECT store_id FROM lethe.object_deletions WHERE id = ${id}::uuid`);
  if (!row) return undefined;
  // Three store calls per attempt (look, delete, check), each bounded by the store's timeout.
  const leaseUntil = new Date(now.getTime() + 4 * (rt.stores.get(row.store_id)?.timeoutMs ?? 30_000) + 5000);
  const [r] = await rows<DeletionRow>(ctx.db, sql`UPDATE lethe.object_deletions SET attempts = attempts + 1, next_attempt_at = ${leaseUntil}
    WHERE id = ${id}::uuid AND status = 'pending' AND next_attempt_at <= ${now} RETURNING ${DELETION_COLUMNS}`);
  return r;
}

async function settle(ctx: EngineContext, r: DeletionRow, o: ObjectOutcome, log: EngineContext['log']): Promise<ObjectOutcome> {
  const now = ctx.clock.now();
  if (o.kind === 'deleted') {
    await settleDeleted(ctx.db, ctx.keys, r.id, o, now);
    log.debug({ versions: o.versions, absent: o.absent }, 'object deleted');
  } else if (o.kind === 'retry') {
    await ctx.db.execute(sql`UPDATE lethe.object_deletions SET next_attempt_at = ${new Date(now.getTime() + o.delayMs)}, last_error = ${o.reason}
      WHERE id = ${r.id}::uuid AND status = 'pending'`);
    log.warn({ reason: o.reason, retryInMs: o.delayMs }, 'object not deleted; will retry');
  } else if (o.kind === 'kept') {
    await settleKept(ctx.db, r.id, o.reason, now);
    log.info({ reason: o.reason }, 'object kept: a record lethe keeps still points to it; it goes with the last of them');
  } else if (o.kind === 'failed') {
    await settleFailed(ctx.db, ctx.keys, r.id, o.reason, now);
    log.error({ reason: o.reason }, 'object deletion failed: an operator must follow it up (lethe objects status)');
  }
  return o;
}
