// `lethe demo` runs on embedded PGlite, whose driver returns other JS types than node-postgres
// (int8 as number, arrays and jsonb parsed its own way): the same evidence must come out.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openPglite, type Database } from '../../src/db/connect.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { appendEvidence } from '../../src/evidence/append.ts';
import { verifyEvidence } from '../../src/evidence/verify.ts';
import { exportEvidence } from '../../src/evidence/export.ts';
import { findEvidence } from '../../src/evidence/find.ts';
import type { EvidenceRecord } from '../../src/evidence/hash.ts';
import { keys, messages, sampleBatch } from './sample.ts';

let database: Database;
beforeAll(async () => {
  database = await openPglite('memory://');
  await migrateDatabase(database);
});
afterAll(async () => {
  await database?.close();
});

describe('evidence on PGlite', () => {
  it('appends, seals, verifies, exports and finds', async () => {
    const { db } = database;
    for (let i = 0; i < 11; i++) {
      expect(await db.transaction((tx) => appendEvidence(tx, keys, randomUUID(), sampleBatch(3 + i), new Date()))).toBe(3 + i);
    }
    const total = 11 * 3 + (10 * 11) / 2;
    expect(await verifyEvidence(db, keys)).toEqual({ ok: true, records: total, first_broken: null });

    let text = '';
    const out = new Writable({ write(chunk: Buffer, _e, done) { text += chunk.toString('utf8'); done(); } });
    expect(await exportEvidence(db, { format: 'json', out, evidenceKey: keys.evidenceKey })).toBe(total);
    out.end();
    await finished(out);
    const { records } = JSON.parse(text) as { records: EvidenceRecord[] };
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(records.find((r) => r.fields !== null)?.fields).toEqual({ full_name: 'redact', note: 'say "hi", then\nleave', phone: 'null' });

    const found = await findEvidence(db, keys, '1000042');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((r) => typeof r.seq === 'number' && r.subject_ref === records.find((o) => o.seq === r.seq)!.subject_ref)).toBe(true);
  });

  it('refuses changes and detects them when the trigger is bypassed', async () => {
    const { db } = database;
    expect(messages(await db.execute(sql`DELETE FROM lethe.evidence WHERE seq = 5`).catch((e: unknown) => e))).toMatch(/append-only/);
    await db.execute(sql`SET session_replication_role = replica`);
    await db.execute(sql`UPDATE lethe.evidence SET trigger = 'manual' WHERE seq = 5`);
    await db.execute(sql`SET session_replication_role = DEFAULT`);
    expect(await verifyEvidence(db, keys)).toMatchObject({ ok: false, first_broken: { seq: 5, reason: expect.stringMatching(/altered/) } });
  });
});
