import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './connect.ts';

/** Runs a statement and returns its rows, whichever driver is underneath. */
export async function rows<T extends Record<string, unknown>>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export async function one<T extends Record<string, unknown>>(db: Executor, query: SQL): Promise<T | undefined> {
  return (await rows<T>(db, query))[0];
}

/** A timestamptz rendered as UTC ISO 8601 to the second (`2026-11-20T08:00:00Z`), as the API shows it. */
export function utcIso(expr: SQL): SQL {
  return sql`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

/** A quoted, optionally schema-qualified identifier: `"schema"."table"`. */
export function qualified(schema: string, name: string): SQL {
  return sql`${sql.identifier(schema)}.${sql.identifier(name)}`;
}

/** A JS array bound as ONE parameter (drizzle would otherwise expand it into a list). */
export function arrayParam(values: readonly unknown[]): SQL {
  return sql`${sql.param(values)}`;
}

// Advisory lock keys: fixed 64-bit numbers, one per concern.
export const LOCKS = {
  migrate: 7_411_001,
  /** Shared by every purge transaction, exclusive for `hold add`: a hold, once placed, is seen. */
  holds: 7_411_002,
  /** Taken at the very end of a purge transaction to append its seal to the chain. */
  evidenceChain: 7_411_003,
  /** Held for its life by the one worker that manages job schedulers. */
  schedulerLeader: 7_411_004,
  /** With a policy's hashtext: one opener of destruction tasks per manual policy at a time. */
  tasks: 7_411_005,
  /**
   * With the hashtext of a source table and a lane (partitionLane): exclusive while a partition
   * of it is dropped whole in that lane, shared by every purge batch of it in every lane. A
   * batch's statement on the parent would otherwise wait for the partition's lock while the drop
   * waits for the parent's: a deadlock. Drops in different lanes only meet at DETACH, in turn.
   */
  partitions: 7_411_006,
} as const;

/** How many partitions of one table may be dropped at once, at most (the lanes of LOCKS.partitions). */
export const PARTITION_LANES = 4;

/** The second half of the partitions lock of `table`'s lane `lane` (0 ≤ lane < PARTITION_LANES). */
export function partitionLane(table: string, lane: number | SQL): SQL {
  return sql`hashtext(${table} || '#' || ${lane}::int)`;
}


/**
 * A list of values sent as ONE JSON text and cast to `type[]` by the server: for thousands of
 * keys, cheaper on the client than an array parameter, whose every element it would escape.
 */
export function jsonList(values: readonly (string | null)[], type: string): SQL {
  return sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json))::${sql.raw(type)}[]`;
}
