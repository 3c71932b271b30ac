// The retention overview page in a real headless chromium, served on a loopback port over the
// demo's data: the reference lender with the shipped policy pack, swept twice (ten days apart)
// through the real pipeline, with a legal hold, erasure requests near and past their deadline,
// a purge awaiting its second operator, paper boxes in a destruction task, a partner request
// overdue and files in object storage still to delete. A person opens `/` with no token, logs
// in with the form, reads every section (the numbers are the database's) and follows the link to
// the queue dashboard on the same session. Screenshots go to test/artifacts/.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createQueuePrefix, createTestDb, testConfig, TEST_SECRET, type TestDb } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { fixedClock } from '../../src/clock.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { seedLender } from '../../src/lender/seed.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { addHold } from '../../src/holds/holds.ts';
import { plan } from '../../src/plan/plan.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { requestPurge } from '../../src/purge/requests.ts';
import { listTasks } from '../../src/tasks/list.ts';
import { parseDuration } from '../../src/duration.ts';
import { loadOverview } from '../../src/overview/overview.ts';
import { renderOverviewHtml } from '../../src/server/pages/overview.ts';
import { buildServer } from '../../src/server/app.ts';
import { createToken, revokeToken } from '../../src/tokens/tokens.ts';
import { registry } from '../../jobs/index.ts';
import { packStores } from '../fixtures/s3.ts';
import { storeCounts } from '../../src/objects/status.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';
import type { ServerDeps } from '../../src/server/app.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DAY = 86_400_000;
const ZONE = 'Asia/Shanghai';

let t: TestDb;
let q: ReturnType<typeof createQueuePrefix>;
let rules: Ruleset;
let deps: ServerDeps;
let app: FastifyInstance;
let base: string;
let browser: Browser;
const logs: string[] = [];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDb('overview');
  q = createQueuePrefix('overview');
  const now = new Date();
  const config = testConfig(t, { LETHE_QUEUE_PREFIX: q.prefix, LETHE_TIMEZONE: ZONE });
  const log = pino({ level: 'info' }, new Writable({ write(c, _e, done) { logs.push(String(c)); done(); } }));
  const ctxAt = (at: Date): EngineContext => ({ db: t.db, keys: deriveKeys(TEST_SECRET), clock: fixedClock(at), log });
  // The demo's lender and the shipped pack.
  await seedLender(t.db, { customers: 300, now, seed: 42 });
  // The pack's files are in stores no test server answers: their deletions stay pending, as
  // they would while a store is down, and the page shows them waiting.
  rules = (await buildRuleset(t.db, await loadPolicies(PACK), packStores())).ruleset;
  const customers = (await rows<{ id: string }>(t.db, sql`SELECT c.id::text FROM customers c
    WHERE EXISTS (SELECT 1 FROM loan_applications a WHERE a.customer_id = c.id AND a.status = 'rejected')
      AND EXISTS (SELECT 1 FROM kyc_records k WHERE k.customer_id = c.id) ORDER BY c.id LIMIT 6`)).map((r) => r.id);
  await addHold(ctxAt(now), rules, { subject: customers[0]!, reason: 'litigation 2026-17', actor: 'operator:wang.li' });
  // Two sweeps ten days apart: two days with bars in the chart, paper boxes in a task.
  await sweep(ctxAt(new Date(now.getTime() - 10 * DAY)), rules, config, registry, { actor: 'operator:wang.li' });
  await sweep(ctxAt(now), rules, config, registry, { actor: 'operator:wang.li' });
  // Erasure requests: one past its deadline, one due tomorrow, one with time left.
  const ids = [];
  for (const [i, ticket] of ['CS-2026-0041', 'CS-2026-0042', 'CS-2026-0043'].entries()) {
    ids.push(await recordErasureRequest(ctxAt(now), rules, 15, { subject: customers[i + 1]!, ticket, actor: 'operator:wang.li' }));
  }
  await t.db.execute(sql`UPDATE lethe.erasure_requests SET due_at = ${new Date(now.getTime() - 2 * DAY)} WHERE id = ${ids[0]!}`);
  await t.db.execute(sql`UPDATE lethe.erasure_requests SET due_at = ${new Date(now.getTime() + DAY)} WHERE id = ${ids[1]!}`);
  // A manual purge waiting for its second operator.
  await requestPurge(ctxAt(now), rules, { target: { kind: 'subject', subject: customers[4]! }, reason: 'customer complaint 2026-88', requestedBy: 'operator:wang.li', ttl: parseDuration('PT24H')! });
  // A partner request sent and past its deadline.
  await t.db.execute(sql`INSERT INTO lethe.partner_requests (id, partner_id, dedupe_key, status, trigger, run_id, policy_id, policy_version,
      classification, actor, categories, subject_refs, next_attempt_at, sent_at, deadline_at, created_at)
    VALUES (${randomUUID()}, 'bureau-<b>x</b>', 'batch:test', 'sent', 'expiry', ${randomUUID()}, 'rejected-loan-applications', 'v', 'C3', 'test',
      ${sql.param(['loan-application'])}::text[], ${sql.param([])}::text[], ${now}, ${new Date(now.getTime() - 9 * DAY)}, ${new Date(now.getTime() - 2 * DAY)}, ${now})`);
  for (const role of ['viewer', 'auditor'] as const) tokens[role] = (await createToken(t.db, { name: `page-${role}`, role, actor: 'test' })).token;
  const revoked = await createToken(t.db, { name: 'page-revoked', role: 'viewer', actor: 'test' });
  await revokeToken(t.db, revoked.id);
  tokens.revoked = revoked.token;
  deps = { ctx: { db: t.db, keys: deriveKeys(TEST_SECRET), clock: { now: () => new Date() }, log }, rules, config, enqueue: async () => {}, startedAt: now };
  app = buildServer(deps);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  // A keep-alive socket the browser left must not hold the server open.
  app?.server.closeAllConnections();
  await app?.close();
  await q?.cleanup();
  await t?.drop();
}, 120_000);

describe('GET / retention overview', () => {
  it('a token by header, ?token= or the session cookie; a browser without one gets the login form; scripts get 401 JSON', async () => {
    const bare = await fetch(`${base}/`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('content-type')).toMatch(/^application\/json/);
    const browserLike = await fetch(`${base}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(browserLike.status).toBe(401);
    expect(browserLike.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await browserLike.text()).toContain('<form method="post" action="/login">');
    expect((await fetch(`${base}/?token=lethe_${'A'.repeat(43)}`)).status).toBe(401);
    logs.length = 0;
    const r = await fetch(`${base}/?token=${tokens.viewer}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${tokens.auditor}` } })).status).toBe(200);
    expect((await fetch(`${base}/?token=${tokens.revoked}`)).status).toBe(401);
    // Elsewhere a token in the URL is not a token, and neither is the page's cookie.
    expect((await fetch(`${base}/erasure-requests?token=${tokens.viewer}`)).status).toBe(401);
    for (const token of Object.values(tokens)) expect(logs.join('')).not.toContain(token);
  });

  it('the login sends the browser back only to this server\'s own pages', async () => {
    const login = (next: string) => fetch(`${base}/login`, { method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.viewer!, next }).toString() });
    expect((await login('/queues/')).headers.get('location')).toBe('/queues/');
    for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/erasure-requests', 'javascript:alert(1)']) {
      const r = await login(evil);
      expect(r.status, evil).toBe(303);
      expect(r.headers.get('location'), evil).toBe('/');
    }
    const wrong = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope&next=%2F' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That token is unknown or revoked.');
  });

  it('log in with the form, read every section in local time, follow the link to the queues; screenshots', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    try {
      await page.goto(`${base}/`);
      await page.locator('#token').waitFor();
      await page.screenshot({ path: `${ARTIFACTS}overview-login.png` });
      await page.fill('#token', tokens.viewer!);
      await page.click('button[type=submit]');
      await page.waitForURL(`${base}/`);
      expect(page.url()).not.toContain('token');
      await page.locator('#now').waitFor();
      // The page and the login post, nothing else: no asset, no script fetching more.
      expect(requests).toEqual(['/', '/login', '/']);
      const now = new Date(String(await page.locator('#now').getAttribute('datetime')));
      await expect(page.locator('#now').innerText()).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d \+08:00$/);

      // Every section the nav links to exists.
      const anchors = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const a of anchors) expect(await page.locator(a!).count(), a!).toBe(1);

      // Erasure requests by deadline: the overdue one flagged, the one due tomorrow due soon.
      expect(await page.locator('#erasure-overdue').innerText()).toBe('1');
      expect(await page.locator('#erasure-due-soon').innerText()).toBe('1');
      expect(await page.locator('#erasure tr[data-sla="overdue"]').innerText()).toContain('CS-2026-0041');
      expect(await page.locator('#erasure tr[data-sla="due_soon"]').innerText()).toContain('CS-2026-0042');
      expect(await page.locator('#erasure tr[data-sla="on_time"]').count()).toBe(1);
      // Legal holds, purges awaiting approval, destruction tasks: the database's.
      const [holds] = await rows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM lethe.holds WHERE released_at IS NULL`);
      expect(await page.locator('#holds tr[data-hold]').count()).toBe(holds!.n);
      expect(await page.locator('#holds').innerText()).toContain('litigation 2026-17');
      expect(await page.locator('#purges tr[data-purge]').count()).toBe(1);
      expect(await page.locator('#purges').innerText()).toContain('customer complaint 2026-88');
      const tasks = await listTasks(t.db, now);
      expect(tasks.length).toBeGreaterThan(0);
      expect(await page.locator('#tasks tr[data-task]').count()).toBe(tasks.length);
      // Files to delete, per store: the database's.
      const stores = await storeCounts(t.db, now);
      expect(stores.reduce((a, c) => a + c.pending, 0)).toBeGreaterThan(0);
      for (const c of stores) {
        expect(await page.locator(`#objects tr[data-store="${c.store}"] td.pending`).innerText(), c.store).toBe(String(c.pending));
        expect(await page.locator(`#objects tr[data-store="${c.store}"] td.failed`).innerText(), c.store).toBe(String(c.failed));
      }
      // Partners: the overdue request, its partner name escaped.
      expect(await page.locator('#partners tr[data-partner="bureau-<b>x</b>"] td.overdue').innerText()).toBe('1');
      expect(await page.locator('#partners b').count()).toBe(0);
      expect(await page.locator('#status').innerText()).toMatch(/Behind: .*1 erasure request overdue; 1 partner request overdue/);

      // Per policy: the plan's counts at the page's instant, and the records in scope.
      const counts = await plan({ ...deps.ctx, clock: fixedClock(now) }, rules, { now });
      for (const c of counts) {
        const row = page.locator(`#policies tr[data-policy="${c.id}"]`);
        const cell = async (cls: string) => Number(await row.locator(`td.${cls}`).innerText());
        expect(await cell('due'), c.id).toBe(c.due);
        expect(await cell('held'), c.id).toBe(c.held);
        expect(await cell('deferred'), c.id).toBe(c.deferred);
        expect(await cell('restricted'), c.id).toBe(c.restricted);
        expect(await cell('kept'), c.id).toBe((await cell('in-scope')) - c.due);
      }
      expect(counts.reduce((s, c) => s + c.held, 0)).toBeGreaterThan(0);

      // Destroyed per day, by day in Asia/Shanghai: a bar per day with deletions or anonymisations.
      const perDay = await rows<{ day: string; n: string }>(t.db, sql`SELECT to_char(occurred_at AT TIME ZONE ${ZONE}, 'YYYY-MM-DD') AS day,
        count(*)::text AS n FROM lethe.evidence WHERE action IN ('delete', 'anonymise') GROUP BY 1 ORDER BY 1`);
      expect(perDay.length).toBe(2);
      expect(await page.locator('#destroyed-chart rect.bar').count()).toBe(perDay.length);
      for (const d of perDay) expect(await page.locator(`#destroyed-chart rect.bar[data-day="${d.day}"]`).getAttribute('data-count')).toBe(d.n);
      expect(Number(await page.locator('#destroyed-total').innerText())).toBe(perDay.reduce((s, d) => s + Number(d.n), 0));

      // Forecast: rejected applications whose 30 days end within the next 90.
      const [coming] = await rows<{ n: string }>(t.db, sql`SELECT count(*)::text AS n FROM loan_applications WHERE status = 'rejected'
        AND decided_at + interval '30 days' > ${now} AND decided_at + interval '30 days' <= ${new Date(now.getTime() + 90 * DAY)}`);
      expect(Number(await page.locator('#forecast tr[data-policy="rejected-loan-applications"] td.forecast-total').innerText())).toBe(Number(coming!.n));

      await page.screenshot({ path: `${ARTIFACTS}overview.png`, fullPage: true });
      // Closer views for a reader: the top (status, nav, policies) and the open work.
      await page.screenshot({ path: `${ARTIFACTS}overview-top.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1100 } });
      const work = await page.locator('#erasure-requests').boundingBox();
      const files = await page.locator('#files').boundingBox();
      await page.screenshot({ path: `${ARTIFACTS}overview-work.png`, fullPage: true,
        clip: { x: 0, y: work!.y - 10, width: 1280, height: files!.y + files!.height - work!.y + 20 } });

      // The same session opens the queue dashboard: one login for both.
      await page.click('#queues-link');
      await page.waitForURL(`${base}/queues/`);
      await page.getByText('purge', { exact: true }).first().waitFor({ timeout: 15_000 });
      // And the API page, on the same session.
      await page.goto(`${base}/docs`);
      await expect(page.locator('h1').innerText()).resolves.toContain('lethe serve API');
      await page.screenshot({ path: `${ARTIFACTS}docs.png` });
      const cookie = (await page.context().cookies()).find((c) => c.name === 'lethe_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookie!.value).not.toContain(tokens.viewer);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('escapes every value: markup in a policy title or a hold reason stays text', async () => {
    const o = await loadOverview(deps.ctx, rules, new Date(), ZONE);
    const evil = '<img src=x onerror="window.pwned=1">';
    const page = await browser.newPage();
    await page.setContent(renderOverviewHtml({ ...o, policies: o.policies.map((p) => ({ ...p, title: evil })),
      work: { ...o.work, holds: o.work.holds.map((h) => ({ ...h, reason: evil })) } }));
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#policies').innerText()).toContain(evil);
    expect(await page.locator('#holds').innerText()).toContain(evil);
    await page.close();
  });
});
