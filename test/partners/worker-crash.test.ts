// `lethe worker` killed (SIGKILL) while deliveries are in flight, then restarted: every request
// still ends confirmed, each processed once by the partner, its evidence written once.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, TEST_SECRET, waitFor, REDIS_URL } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { startCli } from '../cli/run-cli.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { POLICIES, PARTNER_IDS, secretEnv, secretValue, startHarness, type Harness } from '../fixtures/partners/harness.ts';

let h: Harness;
const q = createQueuePrefix('pr-crash');
beforeAll(async () => {
  h = await startHarness('pr-crash', { 'partner-a': { faults: { slowMs: 1500 }, maxConcurrency: 2, timeout: 'PT3S' } }, 6);
}, 60_000);
afterAll(async () => {
  await q.cleanup();
  await h?.close();
});

const statuses = () => rows<{ id: string; partner_id: string; status: string }>(h.t.db,
  sql`SELECT id::text, partner_id, status FROM lethe.partner_requests ORDER BY id`);

it('loses no request when the worker is killed mid-delivery', async () => {
  await sweepInline(h.ctx, h.rules, 1);
  const all = await statuses();
  expect(all.length).toBe(18);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-partners-'));
  const file = join(dir, 'partners.yaml');
  writeFileSync(file, h.registryText);
  const env = {
    DATABASE_URL: h.t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: POLICIES, LETHE_PARTNERS: file,
    LETHE_QUEUE_PREFIX: q.prefix, LETHE_PARTNER_SWEEP_EVERY: 'PT1S', LOG_LEVEL: 'warn',
    ...Object.fromEntries(PARTNER_IDS.map((id) => [secretEnv(id), secretValue(id)])),
  };
  const first = startCli(['worker'], env);
  const a = h.partners['partner-a'];
  await waitFor(async () => a.deliveries.size >= 3, 30_000, 'deliveries in flight');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('close', r));
  expect((await statuses()).filter((x) => x.status !== 'confirmed').length).toBeGreaterThan(0);
  const second = startCli(['worker'], env);
  try {
    await waitFor(async () => (await statuses()).every((x) => x.status === 'confirmed'), 60_000, 'all confirmed after restart');
  } finally {
    second.kill('SIGTERM');
    await new Promise((r) => second.once('close', r));
  }
  const confirmedIds = (await statuses()).map((x) => x.id).sort();
  expect(confirmedIds).toEqual(all.map((x) => x.id).sort());
  for (const id of PARTNER_IDS) {
    const mine = all.filter((x) => x.partner_id === id).map((x) => x.id).sort();
    expect([...h.partners[id].processed.keys()].sort()).toEqual(mine);
  }
  const perRequest = await rows<{ request: string; actions: string }>(h.t.db, sql`SELECT fields->>'request' AS request,
      string_agg(action, ',' ORDER BY action) AS actions FROM lethe.evidence WHERE action LIKE 'partner_%' AND subject_ref IS NOT NULL
    GROUP BY fields->>'request', subject_ref`);
  expect(perRequest.length).toBe(18);
  expect(new Set(perRequest.map((p) => p.actions))).toEqual(new Set(['partner_confirmed,partner_notified']));
}, 150_000);
