// Chaos 5: legal holds placed on random subjects while workers sweep. A purge takes the holds
// lock shared, `hold add` exclusively: each record of a subject either went before the hold
// committed, or stays. Nothing of a held subject is destroyed after its hold's placed_at.
import { expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { addHold } from '../../src/holds/holds.ts';
import { CHAOS_TIMEOUT_MS, WorkerPool, chaosContext, chaosRules, chaosEnv, chaosFile, expectExactlyOnce, markHeldMidSweep, seedChaosLender, seededRandom, sleep, sweepUnderFault } from './fixture.ts';

const f = chaosFile('holds');

it('a hold placed mid-sweep stops every later destruction of its subject', async () => {
  const random = seededRandom('holds');
  const { t } = f;
  const env = chaosEnv(t, f.q.prefix);
  await seedChaosLender(t, env);
  const ctx = chaosContext(t);
  const rules = await chaosRules(t);
  const placed: { subject: string; ref: string; left: number }[] = [];
  const pool = (f.pool = new WorkerPool(env, 2));
  pool.start();
  await sweepUnderFault(t.db, pool, async () => {
    await sleep(random.int(100, 700));
    // A subject with due records still there, so the hold races the workers for them.
    const candidates = await rows<{ s: string }>(t.db, sql`SELECT DISTINCT a.customer_id::text AS s FROM loan_applications a
      JOIN chaos_expected e USING (id) WHERE e.fate = 'due' LIMIT 50`);
    if (candidates.length === 0) return;
    const subject = candidates[random.int(0, candidates.length - 1)]!.s;
    const hold = await addHold(ctx, rules, { subject, reason: 'chaos: placed mid-sweep', actor: 'chaos' });
    await markHeldMidSweep(t.db, subject);
    placed.push({ subject, ref: hold.subject_ref, left: await count(t.db, 'loan_applications', sql`customer_id::text = ${subject}`) });
  });
  expect(placed.length).toBeGreaterThan(0);
  expect(pool.crashed()).toEqual([]);
  await pool.stop();
  for (const h of placed) {
    const late = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence ev JOIN lethe.holds h ON h.subject_ref = ev.subject_ref
      WHERE ev.subject_ref = ${h.ref} AND ev.occurred_at >= h.placed_at`);
    expect(late[0]!.n, `evidence after the hold on ${h.subject}`).toBe('0');
    expect(await count(t.db, 'loan_applications', sql`customer_id::text = ${h.subject}`), `rows of ${h.subject} after its hold`).toBe(h.left);
  }
  await expectExactlyOnce(t.db);
}, CHAOS_TIMEOUT_MS);
