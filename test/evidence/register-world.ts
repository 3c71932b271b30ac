// A lender with a history for the register, the signed export and the report tests: a hold, a
// scheduled-style sweep, then an erasure request carried out (partially deferred: a KYC floor
// still runs) and one left open. Times are injected; the tests compare what they export with
// the database and with the seeded counts.
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createTestDb, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { addHold } from '../../src/holds/holds.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { rows } from '../../src/db/sql.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

export const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));
/** Friday: the sweep. */
export const SWEPT_AT = new Date('2026-11-20T08:00:00.000Z');
/** Monday: the erasure requests arrive; one is carried out two hours later. */
export const ERASE_AT = new Date('2026-11-23T09:00:00.000Z');
export const ERASED_AT = new Date('2026-11-23T11:00:00.000Z');

export interface World {
  t: TestDb;
  lender: SmallLender;
  rules: Ruleset;
  sweepRun: string;
  erasureRun: string;
  ctxAt(at: Date): EngineContext;
}

export async function buildWorld(label: string): Promise<World> {
  const t = await createTestDb(label);
  const keys = deriveKeys(TEST_SECRET);
  const ctxAt = (at: Date): EngineContext => ({ db: t.db, keys, clock: fixedClock(at), log: silentLogger });
  const lender = await seedSmallLender(t.db, SWEPT_AT);
  const rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
  await addHold(ctxAt(SWEPT_AT), rules, { subject: lender.customers.held, reason: 'AML investigation', actor: 'officer' });
  await sweepInline(ctxAt(SWEPT_AT), rules);
  const id = await recordErasureRequest(ctxAt(ERASE_AT), rules, 15, { subject: lender.customers.plain, ticket: 'CS-1', actor: 'operator:amy' });
  await executeErasure(ctxAt(ERASED_AT), rules, id, { batchSize: 1000 });
  await recordErasureRequest(ctxAt(ERASE_AT), rules, 15, { subject: lender.customers.endedRecently, ticket: 'CS-2', actor: 'operator:amy' });
  const runs = await rows<{ id: string; kind: string }>(t.db, sql`SELECT id::text, kind FROM lethe.runs
    WHERE id IN (SELECT run_id FROM lethe.evidence) ORDER BY started_at`);
  return {
    t, lender, rules, ctxAt,
    sweepRun: runs.find((r) => r.kind === 'sweep')!.id,
    erasureRun: runs.find((r) => r.kind === 'erasure')!.id,
  };
}
