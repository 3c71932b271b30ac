// A hold placed while a sweep is running: once `hold add` returns, none of the subject's
// records is destroyed, though the sweep destroys everyone else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, type TestDb, waitFor } from '../helpers.ts';
import { seedRejectedApplications } from '../fixtures/bulk.ts';
import { runCli, startCli } from '../cli/run-cli.ts';
import { one, rows } from '../../src/db/sql.ts';
import { deriveKeys, subjectRef } from '../../src/crypto/keys.ts';

describe('hold placed mid-sweep', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;

  beforeAll(async () => {
    t = await createTestDb('holdsweep');
    q = createQueuePrefix('holdsweep');
    // 40 customers, each with ~100 due applications spread across the whole key range.
    await seedRejectedApplications(t.db, { due: 4000, fresh: 0, now: new Date() });
  });
  afterAll(async () => {
    await q.cleanup();
    await t.drop();
  });

  it('destroys nothing of the held subject after the hold returns', async () => {
    const env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_BATCH_SIZE: '20', LOG_LEVEL: 'warn' };
    const subject = (await one<{ id: string }>(t.db, sql`SELECT customer_id::text AS id FROM loan_applications ORDER BY id DESC LIMIT 1`))!.id;
    const sweep = startCli(['sweep', '--policy', 'rejected-loan-applications'], env);
    const exited = new Promise<number | null>((r) => sweep.on('exit', r));
    await waitFor(async () => (await count(t.db, 'lethe.evidence')) >= 300, 60_000, 'the sweep to destroy its first records');
    const hold = await runCli(['hold', 'add', '--subject', subject, '--reason', 'placed mid-sweep'], env);
    expect(hold.code, hold.stderr).toBe(0);
    const placedAt = (await one<{ at: string }>(t.db, sql`SELECT placed_at::text AS at FROM lethe.holds`))!.at;
    const leftAtHold = await count(t.db, 'loan_applications', sql`customer_id = ${subject}`);
    expect(await exited).toBe(0);

    const ref = subjectRef(deriveKeys(TEST_SECRET), subject);
    const late = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence
      WHERE subject_ref = ${ref} AND occurred_at >= ${placedAt}::timestamptz`);
    expect(late[0]!.n).toBe('0');
    expect(leftAtHold).toBeGreaterThan(0);
    expect(await count(t.db, 'loan_applications', sql`customer_id = ${subject}`)).toBe(leftAtHold);
    // Everyone else's due records went.
    expect(await count(t.db, 'loan_applications', sql`customer_id <> ${subject}`)).toBe(0);
  });
});
