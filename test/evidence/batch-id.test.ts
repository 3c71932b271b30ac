// Batch ids grow with time, so that evidence's (batch_id, batch_pos) index appends instead of
// splitting pages half-empty in its middle (src/evidence/batch-id.ts).
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { newBatchId } from '../../src/evidence/batch-id.ts';
import { createTestDb } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';

describe('evidence batch ids', () => {
  it('are version-7 UUIDs whose order is their time order, as text and as PostgreSQL uuids', async () => {
    const start = Date.parse('2026-12-03T08:00:00Z');
    const ids = Array.from({ length: 2000 }, (_, i) => newBatchId(start + Math.floor(i / 4)));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Ids of one millisecond are random among themselves; across milliseconds they sort by time.
    const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ids.map(ms)).toEqual(ids.map((_, i) => start + Math.floor(i / 4)));
    const sorted = [...ids].sort();
    expect(sorted.map(ms)).toEqual([...sorted.map(ms)].sort((a, b) => a - b));
    const t = await createTestDb('batchid');
    try {
      const back = await rows<{ id: string }>(t.db, sql`SELECT u::text AS id FROM unnest(${sql.param(ids)}::uuid[]) u ORDER BY u`);
      expect(back.map((r) => ms(r.id))).toEqual([...ids.map(ms)].sort((a, b) => a - b));
    } finally {
      await t.drop();
    }
  });
});
