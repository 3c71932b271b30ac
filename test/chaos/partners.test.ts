// Chaos 4: a sweep with `partners: notify` while the partners misbehave. partner-a answers 503,
// 429, resets connections, times out and returns garbage bodies; partner-b signs its receipts
// with the wrong secret (faults drawn by Math.random). Afterwards every request is settled as
// designed, with its evidence once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, waitFor } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { POLICIES, PARTNER_IDS, secretEnv, secretValue, startHarness, type Harness } from '../fixtures/partners/harness.ts';
import { CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, expectExactlyOnce, seedChaosLender, sleep, sweepUnderFault } from './fixture.ts';

const MAX_ATTEMPTS = 4;
let h: Harness;
let pool: WorkerPool | undefined;
const q = createQueuePrefix('chaos-partners');

beforeAll(async () => {
  h = await startHarness('chaos_partners', {
    'partner-a': { faults: { failRate: 0.25, rateLimitRate: 0.1, resetRate: 0.05, timeoutRate: 0.1, garbageRate: 0.2 }, maxAttempts: MAX_ATTEMPTS, timeout: 'PT1S', maxConcurrency: 4 },
    'partner-b': { faults: { badSignature: true }, maxConcurrency: 4 },
  }, 2);
}, CHAOS_TIMEOUT_MS);
afterAll(async () => {
  await pool?.stop(1000);
  await q.cleanup();
  await h?.close();
});

interface RequestState extends Record<string, unknown> { id: string; partner_id: string; status: string; attempts: number; subjects: number }
const requests = () => rows<RequestState>(h.t.db, sql`SELECT id::text, partner_id, status, attempts,
  cardinality(subject_refs) AS subjects FROM lethe.partner_requests ORDER BY id`);

it('every partner request confirmed, failed or left unconfirmed as designed, its evidence once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-chaos-partners-'));
  const file = join(dir, 'partners.yaml');
  writeFileSync(file, h.registryText);
  const env = chaosEnv(h.t, q.prefix, {
    LETHE_POLICIES: POLICIES, LETHE_PARTNERS: file, LETHE_PARTNER_SWEEP_EVERY: 'PT1S',
    ...Object.fromEntries(PARTNER_IDS.map((id) => [secretEnv(id), secretValue(id)])),
  });
  await seedChaosLender(h.t, env, { floors: false, holds: 2 });
  // partner-a received every second bulk customer's applications, partner-b every third.
  await h.t.db.execute(sql`INSERT INTO data_sharing_ledger (partner_id, customer_id, category, partner_subject_ref, shared_at)
    SELECT p, c.id, 'loan-application', upper(p) || '-' || c.id, now() FROM customers c, unnest(ARRAY['partner-a', 'partner-b']) p
    WHERE (p = 'partner-a' AND c.id % 2 = 0) OR (p = 'partner-b' AND c.id % 3 = 0)`);
  pool = new WorkerPool(env, 2);
  pool.start();
  await sweepUnderFault(h.t.db, pool, async () => {
    await sleep(200);
  });
  // Settled: partner-a's requests confirmed or failed; partner-b's sent, their receipts refused.
  await waitFor(async () => (await requests()).every((r) => (r.partner_id === 'partner-a' ? ['confirmed', 'failed'] : ['sent']).includes(r.status)),
    CHAOS_TIMEOUT_MS / 2, 'every partner request to settle');
  expect(pool.crashed()).toEqual([]);
  await pool.stop();
  await expectExactlyOnce(h.t.db);

  const all = await requests();
  const a = all.filter((r) => r.partner_id === 'partner-a');
  const b = all.filter((r) => r.partner_id === 'partner-b');
  expect(a.length).toBeGreaterThan(0);
  expect(b.length).toBeGreaterThan(0);
  for (const r of a.filter((x) => x.status === 'failed')) expect(r.attempts, `failed request ${r.id}`).toBe(MAX_ATTEMPTS);
  // A partner processes each request once, whatever the repeats.
  const processed = h.partners['partner-a'].processed;
  for (const r of a.filter((x) => x.status === 'confirmed')) expect(processed.has(r.id), `partner-a processed ${r.id}`).toBe(true);
  expect(h.partners['partner-a'].badSignatures + h.partners['partner-b'].badSignatures).toBe(0);
  const refusals = h.partners['partner-b'].confirmRefusals;
  expect(refusals.length).toBe(b.length);
  expect(new Set(refusals)).toEqual(new Set([401]));

  // Evidence per request: one row per subject per action, and the actions its status implies.
  // A receipt for a request lethe had given up on (the partner deleted during an attempt whose
  // answer timed out) still confirms it: failed, then confirmed.
  const expected: Record<string, string[]> = {
    confirmed: ['partner_confirmed,partner_notified', 'partner_confirmed,partner_failed'], failed: ['partner_failed'], sent: ['partner_notified'],
  };
  const evidence = await rows<{ request: string; actions: string; per_action: string }>(h.t.db, sql`SELECT fields->>'request' AS request,
      string_agg(DISTINCT action, ',' ORDER BY action) AS actions, string_agg(DISTINCT n::text, ',') AS per_action
    FROM (SELECT fields, action, count(*) OVER (PARTITION BY fields->>'request', action) AS n FROM lethe.evidence
      WHERE "table" = 'lethe.partner_requests') e GROUP BY fields->>'request'`);
  const byRequest = new Map(evidence.map((e) => [e.request, e]));
  expect(byRequest.size).toBe(all.length);
  for (const r of all) {
    const e = byRequest.get(r.id);
    expect(expected[r.status], `evidence actions of ${r.partner_id} request ${r.id} (${r.status})`).toContain(e?.actions);
    expect(e?.per_action, `evidence rows per action of request ${r.id}`).toBe(String(r.subjects));
  }
}, CHAOS_TIMEOUT_MS);
