// No path destroys a record before its statutory floor has run, nor a held subject's record,
// nor anything before its own reason to go exists: random sequences of clock moves, consent
// withdrawals and re-grants, holds and releases, erasure requests and sweeps, checked after
// every step against an oracle of what may have been destroyed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, testConfig, type TestDb } from '../helpers.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { addHold, listHolds, releaseHold } from '../../src/holds/holds.ts';
import { rows } from '../../src/db/sql.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import type { EngineContext } from '../../src/engine.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
const DAY = 86_400_000;
const START = new Date('2026-01-05T00:00:00Z');
const CUSTOMERS = 3;

type Step =
  | { op: 'advance'; days: number }
  | { op: 'sweep' }
  | { op: 'erase'; c: number }
  | { op: 'hold'; c: number }
  | { op: 'release'; c: number }
  | { op: 'withdraw'; c: number }
  | { op: 'regrant'; c: number };

const c = fc.integer({ min: 0, max: CUSTOMERS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('advance' as const), days: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 300, max: 4000 })) }),
  fc.constant({ op: 'sweep' as const }),
  fc.record({ op: fc.constant('erase' as const), c }),
  fc.record({ op: fc.constant('hold' as const), c }),
  fc.record({ op: fc.constant('release' as const), c }),
  fc.record({ op: fc.constant('withdraw' as const), c }),
  fc.record({ op: fc.constant('regrant' as const), c }),
);

interface Rec { table: string; id: string; customer: number; mayGoAt(now: Date, erased: boolean): boolean }

async function seed(t: TestDb): Promise<{ customers: string[]; records: Rec[] }> {
  const customers: string[] = [];
  const records: Rec[] = [];
  const at = (days: number) => new Date(START.getTime() + days * DAY);
  for (let i = 0; i < CUSTOMERS; i++) {
    const [{ id }] = await rows<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, city, created_at) VALUES (${`客户${i}`}, '上海', ${at(-5000)}) RETURNING id::text`) as [{ id: string }];
    customers.push(id);
    // KYC: floor P10Y from relationship end (one ended 9.9 years ago, one 1 year ago, one never).
    for (const ended of [at(-3615), at(-365), null]) {
      const [k] = await rows<{ id: string }>(t.db, sql`INSERT INTO kyc_records (customer_id, id_number, full_name, verified_at, relationship_ended_at)
        VALUES (${id}, 'x', 'y', ${at(-6000)}, ${ended}) RETURNING id::text`);
      const floorEnd = ended === null ? null : new Date(Date.UTC(ended.getUTCFullYear() + 10, ended.getUTCMonth(), ended.getUTCDate(), ended.getUTCHours()));
      records.push({ table: 'kyc_records', id: k!.id, customer: i, mayGoAt: (now) => floorEnd !== null && floorEnd <= now });
    }
    // Rejected applications: no floor; due 30 days after the decision, or on request.
    for (const decided of [at(-100), at(-10)]) {
      const [a] = await rows<{ id: string }>(t.db, sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
        VALUES (${id}, 'rejected', 1000, ${at(-200)}, ${decided}) RETURNING id::text`);
      records.push({ table: 'loan_applications', id: a!.id, customer: i, mayGoAt: (now, erased) => erased || decided.getTime() + 30 * DAY <= now.getTime() });
    }
    await t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at) VALUES (${id}, 'marketing', ${at(-400)})`);
    const [m] = await rows<{ id: string }>(t.db, sql`INSERT INTO marketing_profiles (customer_id, phone, created_at, updated_at)
      VALUES (${id}, '13900000000', ${at(-400)}, ${at(-400)}) RETURNING id::text`);
    records.push({ table: 'marketing_profiles', id: m!.id, customer: i, mayGoAt: () => true /* decided by the consent model below */ });
  }
  return { customers, records };
}

describe('statutory floors, holds and consent under random operation sequences', () => {
  it('never destroys a record early, nor a held one', async () => {
    const rules0 = async (t: TestDb) => (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    const keys = deriveKeys(testConfig({ url: 'postgres://x@y/z' }).secret!);
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 9 }), async (steps) => {
      const t = await createTestDb('floors');
      try {
        const rules = await rules0(t);
        const { customers, records } = await seed(t);
        let now = START;
        const held = new Set<number>();
        // Consent model: withdrawn at (null = active) — a profile may go 2 days after withdrawal while not re-granted.
        const withdrawnAt: (Date | null)[] = customers.map(() => null);
        const ctx = (): EngineContext => ({ db: t.db, keys, clock: fixedClock(now), log: silentLogger });
        let ticket = 0;
        for (const s of steps) {
          const present = new Set((await rows<{ k: string }>(t.db, sql`SELECT 'kyc_records:' || id AS k FROM kyc_records
            UNION ALL SELECT 'loan_applications:' || id FROM loan_applications UNION ALL SELECT 'marketing_profiles:' || id FROM marketing_profiles`)).map((r) => r.k));
          let erased = -1;
          switch (s.op) {
            case 'advance': now = new Date(now.getTime() + s.days * DAY); break;
            case 'sweep': await sweepInline(ctx(), rules); break;
            case 'erase': {
              const id = await recordErasureRequest(ctx(), rules, 15, { subject: customers[s.c]!, ticket: `t${ticket++}`, actor: 'prop' });
              await executeErasure(ctx(), rules, id, { batchSize: 100 });
              erased = s.c;
              break;
            }
            case 'hold': await addHold(ctx(), rules, { subject: customers[s.c]!, reason: 'prop', actor: 'prop' }); held.add(s.c); break;
            case 'release':
              for (const h of await listHolds(t.db)) {
                if (h.subject_ref === (await import('../../src/crypto/keys.ts')).subjectRef(keys, customers[s.c]!)) await releaseHold(ctx(), h.id, 'prop', 'prop');
              }
              held.delete(s.c);
              break;
            case 'withdraw':
              await t.db.execute(sql`UPDATE consents SET withdrawn_at = ${now} WHERE customer_id = ${customers[s.c]!} AND withdrawn_at IS NULL`);
              // Only an active consent can be withdrawn: a second withdrawal changes nothing.
              withdrawnAt[s.c] ??= now;
              break;
            case 'regrant':
              await t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at) VALUES (${customers[s.c]!}, 'marketing', ${now})`);
              withdrawnAt[s.c] = null;
              break;
          }
          const after = new Set((await rows<{ k: string }>(t.db, sql`SELECT 'kyc_records:' || id AS k FROM kyc_records
            UNION ALL SELECT 'loan_applications:' || id FROM loan_applications UNION ALL SELECT 'marketing_profiles:' || id FROM marketing_profiles`)).map((r) => r.k));
          for (const r of records) {
            const key = `${r.table}:${r.id}`;
            if (!present.has(key) || after.has(key)) continue;
            const where = `${key} went at ${now.toISOString()} after ${JSON.stringify(steps)}`;
            expect(held.has(r.customer), `held: ${where}`).toBe(false);
            if (r.table === 'marketing_profiles') {
              const w = withdrawnAt[r.customer] ?? null;
              const consentGone = w !== null && w.getTime() + 2 * DAY <= now.getTime();
              expect(consentGone || erased === r.customer, `consent: ${where}`).toBe(true);
            } else {
              expect(r.mayGoAt(now, erased === r.customer), `too early: ${where}`).toBe(true);
            }
          }
        }
      } finally {
        await t.drop();
      }
    }), { numRuns: Number(process.env.FLOORS_RUNS ?? 12) });
  }, 240_000);
});
