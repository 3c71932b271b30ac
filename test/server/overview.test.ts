// The retention overview page in a real headless chromium, served by `lethe serve` on a loopback
// port over a swept database: the chart has a bar per day with destructions and the numbers a
// reader sees are the database's. A screenshot goes to test/artifacts/overview.png.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { rows } from '../../src/db/sql.ts';
import { fixedClock } from '../../src/clock.ts';
import { addHold } from '../../src/holds/holds.ts';
import { plan } from '../../src/plan/plan.ts';
import { loadOverview } from '../../src/overview/overview.ts';
import { renderOverviewHtml } from '../../src/server/pages/overview.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DAY = 86_400_000;
const APPS = 'rejected-loan-applications';

let f: ServerFixture;
let app: FastifyInstance;
let base: string;
let browser: Browser;

beforeAll(async () => {
  f = await serverFixture('overview');
  const deps = f.deps();
  const now = new Date();
  // Rejected 35 days ago: not due at the first sweep (10 days back), due at the second.
  for (let i = 0; i < 3; i++) {
    await f.t.db.execute(sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
      VALUES (${f.lender.customers.plain}, 'rejected', 1000, ${new Date(now.getTime() - 38 * DAY)}, ${new Date(now.getTime() - 35 * DAY)})`);
  }
  await addHold(deps.ctx, deps.rules, { subject: f.lender.customers.held, reason: 'litigation 2026-17', actor: 'test' });
  await sweepInline({ ...deps.ctx, clock: fixedClock(new Date(now.getTime() - 10 * DAY)) }, deps.rules);
  await sweepInline({ ...deps.ctx, clock: fixedClock(now) }, deps.rules);
  // A partner request sent and past its deadline, so the overdue table has a row.
  await f.t.db.execute(sql`INSERT INTO lethe.partner_requests (id, partner_id, dedupe_key, status, trigger, run_id, policy_id, policy_version,
      classification, actor, categories, subject_refs, next_attempt_at, sent_at, deadline_at, created_at)
    VALUES (${randomUUID()}, 'bureau-<b>x</b>', 'batch:test', 'sent', 'expiry', ${randomUUID()}, ${APPS}, 'v', 'C3', 'test',
      ${sql.param(['loan-application'])}::text[], ${sql.param([])}::text[], ${now}, ${new Date(now.getTime() - 9 * DAY)}, ${new Date(now.getTime() - 2 * DAY)}, ${now})`);
  app = buildServer(deps);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await f?.drop();
});

describe('GET / retention overview', () => {
  it('needs a token (header or ?token=, the latter on this route only), never logged', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/?token=lethe_${'A'.repeat(43)}`)).status).toBe(401);
    f.logs.length = 0;
    const r = await fetch(`${base}/?token=${f.tokens.viewer}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${base}/`, { headers: bearer(f.tokens.auditor) })).status).toBe(200);
    expect((await fetch(`${base}/?token=${f.tokens.revoked}`)).status).toBe(401);
    // Elsewhere a token in the URL is not a token.
    expect((await fetch(`${base}/erasure-requests?token=${f.tokens.viewer}`)).status).toBe(401);
    const log = f.logs.join('');
    expect(log).toContain('"route":"/"');
    for (const token of Object.values(f.tokens)) expect(log).not.toContain(token);
  });

  it('renders the chart and the database\'s numbers in chromium; screenshot in test/artifacts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(`${base}/?token=${f.tokens.viewer}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    // The page itself and nothing else: no external asset, no script fetching more.
    expect(requests).toHaveLength(1);
    const now = new Date(await page.locator('#now').innerText());

    // Destroyed per day: one bar per UTC day with deletions or anonymisations, each its count.
    const perDay = await rows<{ day: string; n: string }>(f.t.db, sql`SELECT to_char(date_trunc('day', occurred_at, 'UTC'), 'YYYY-MM-DD') AS day,
      count(*)::text AS n FROM lethe.evidence WHERE action IN ('delete', 'anonymise') GROUP BY 1 ORDER BY 1`);
    expect(perDay.length).toBe(2);
    const bars = page.locator('#destroyed-chart rect.bar');
    expect(await bars.count()).toBe(perDay.length);
    for (const d of perDay) {
      const bar = page.locator(`#destroyed-chart rect.bar[data-day="${d.day}"]`);
      expect(await bar.getAttribute('data-count')).toBe(d.n);
      expect(Number(await bar.getAttribute('height'))).toBeGreaterThan(0);
    }
    expect(Number(await page.locator('#destroyed-total').innerText())).toBe(perDay.reduce((s, d) => s + Number(d.n), 0));

    // Per policy: the plan's counts at the page's instant, and the records in scope.
    const deps = f.deps();
    const counts = await plan({ ...deps.ctx, clock: fixedClock(now) }, deps.rules, { now });
    expect(counts.find((c) => c.id === APPS)!.held).toBe(f.lender.heldApps.length);
    for (const c of counts) {
      const row = page.locator(`#policies tr[data-policy="${c.id}"]`);
      const cell = async (cls: string) => Number(await row.locator(`td.${cls}`).innerText());
      expect(await cell('due'), c.id).toBe(c.due);
      expect(await cell('held'), c.id).toBe(c.held);
      expect(await cell('deferred'), c.id).toBe(c.deferred);
      expect(await cell('restricted'), c.id).toBe(c.restricted);
      expect(await cell('kept'), c.id).toBe((await cell('in-scope')) - c.due);
    }
    const [rejected] = await rows<{ n: string }>(f.t.db, sql`SELECT count(*)::text AS n FROM loan_applications WHERE status = 'rejected'`);
    expect(Number(await page.locator(`#policies tr[data-policy="${APPS}"] td.in-scope`).innerText())).toBe(Number(rejected!.n));

    // Forecast: rejected applications whose 30 days end within the next 90.
    const [coming] = await rows<{ n: string }>(f.t.db, sql`SELECT count(*)::text AS n FROM loan_applications WHERE status = 'rejected'
      AND decided_at + interval '30 days' > ${now} AND decided_at + interval '30 days' <= ${new Date(now.getTime() + 90 * DAY)}`);
    expect(Number(coming!.n)).toBeGreaterThan(0);
    const forecast = page.locator(`#forecast tr[data-policy="${APPS}"]`);
    expect(Number(await forecast.locator('td.forecast-total').innerText())).toBe(Number(coming!.n));
    const fbars = await forecast.locator('rect.fbar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(fbars.reduce((s, v) => s + v, 0)).toBe(Number(coming!.n));

    // Partners: the overdue request, its partner name escaped.
    expect(await page.locator('#partners tr[data-partner="bureau-<b>x</b>"] td.overdue').innerText()).toBe('1');
    expect(await page.locator('#partners-overdue').innerText()).toContain('bureau-<b>x</b>');
    expect(await page.locator('#partners b').count()).toBe(0);
    expect(await page.locator('#status').innerText()).toContain('Behind');

    await page.screenshot({ path: `${ARTIFACTS}overview.png`, fullPage: true });
    await page.close();
  });

  it('escapes every value: markup in a policy title stays text', async () => {
    const deps = f.deps();
    const o = await loadOverview(deps.ctx, deps.rules, new Date());
    const evil = '<img src=x onerror="window.pwned=1">';
    const page = await browser.newPage();
    await page.setContent(renderOverviewHtml({ ...o, policies: o.policies.map((p) => ({ ...p, title: evil })) }));
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#policies').innerText()).toContain(evil);
    await page.close();
  });
});
