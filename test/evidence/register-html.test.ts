// The HTML register in a real headless chromium: the numbers a reader sees are the database's,
// values are escaped, it prints to a multi-page A4 PDF. A screenshot goes to test/artifacts/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { exportEvidence } from '../../src/evidence/export.ts';
import { renderRegisterHtml } from '../../src/evidence/register-html.ts';
import { buildRegister } from '../../src/evidence/register.ts';
import { rows } from '../../src/db/sql.ts';
import { buildWorld, type World } from './register-world.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let w: World;
let browser: Browser;
let html: string;
beforeAll(async () => {
  w = await buildWorld('register_html');
  const chunks: string[] = [];
  const out = new Writable({ write(c: Buffer, _e, done) { chunks.push(c.toString('utf8')); done(); } });
  await exportEvidence(w.t.db, { format: 'html', out, now: new Date('2026-12-01T00:00:00Z'), evidenceKey: w.ctxAt(new Date()).keys.evidenceKey, timeZone: 'Asia/Shanghai' });
  out.end();
  await finished(out);
  html = chunks.join('');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}register.html`, html);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.t.drop();
});

describe('HTML register in headless chromium', () => {
  it('shows per run and per policy the numbers the evidence table holds', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Offline by construction: any request the page makes would be an external asset.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(html, { waitUntil: 'load' });
    expect(requests).toEqual([]);
    const db = await rows<{ run_id: string; n: string }>(w.t.db, sql`SELECT run_id::text, count(*)::text AS n FROM lethe.evidence GROUP BY 1`);
    const total = db.reduce((s, r) => s + Number(r.n), 0);
    const shown = async (sel: string) => Number(await page.locator(sel).innerText());
    expect(await shown('#total-runs')).toBe(db.length);
    expect((await shown('#total-records')) + (await shown('#total-children')) + (await shown('#total-other'))).toBe(total);
    // "Records" are what was destroyed: deferrals, partner notices and task steps are counted apart.
    const [destroyed] = await rows<{ n: string }>(w.t.db, sql`SELECT count(*)::text AS n FROM lethe.evidence WHERE action IN ('delete', 'anonymise', 'destroyed_manually')`);
    expect((await shown('#total-records')) + (await shown('#total-children'))).toBe(Number(destroyed!.n));
    expect(await shown('#total-other')).toBe(w.lender.kycFloorRunning.length);
    for (const r of db) {
      const run = page.locator(`section[data-run="${r.run_id}"]`);
      await expect(run.isVisible()).resolves.toBe(true);
      const other = await run.locator('.run-other').count() ? Number(await run.locator('.run-other').innerText()) : 0;
      expect(Number(await run.locator('.run-records').innerText()) + Number(await run.locator('.run-children').innerText()) + other).toBe(Number(r.n));
    }
    // Chinese headings with the English beside; times in LETHE_TIMEZONE (the sweep ran 08:00 UTC = 16:00 in Shanghai).
    const sweep = page.locator(`section[data-run="${w.sweepRun}"]`);
    await expect(sweep.locator('table.facts').innerText()).resolves.toMatch(/开始\s*started\s*2026-11-20 16:00:00 \+08:00/);
    await expect(page.locator('h1').innerText()).resolves.toMatch(/个人信息销毁登记\s*Destruction register/);
    await expect(sweep.locator('thead').innerText()).resolves.toMatch(/记录数\s*records/);
    const apps = page.locator(`section[data-run="${w.sweepRun}"] tr[data-policy="rejected-loan-applications"][data-action="delete"]`);
    expect(Number(await apps.locator('td.records').innerText())).toBe(w.lender.dueApps.length);
    expect(Number(await apps.locator('td.children').innerText())).toBe(w.lender.dueDocs.length);
    await expect(apps.innerText()).resolves.toContain('retain P30D from decided_at');
    const executedBy = await page.locator(`section[data-run="${w.erasureRun}"] table.facts`).innerText();
    expect(executedBy).toContain('operator:amy');
    await page.screenshot({ path: `${ARTIFACTS}register.png`, fullPage: true });
    await page.close();
  });

  it('prints: an A4 PDF with a page per run', async () => {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(`${ARTIFACTS}register.pdf`, pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    const runs = (await buildRegister(w.t.db, {})).length;
    expect(pages).toBeGreaterThanOrEqual(runs + 1); // the header page, then each run on its own
    await page.close();
  });

  it('escapes every value: markup in a name stays text', async () => {
    const [run] = await buildRegister(w.t.db, {});
    const page = await browser.newPage();
    const evil = '<img src=x onerror="window.pwned=1">';
    await page.setContent(renderRegisterHtml([{ ...run!, executed_by: evil }], { from: undefined, to: undefined, now: new Date() }));
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('table.facts').innerText()).toContain(evil);
    await page.close();
  });
});
