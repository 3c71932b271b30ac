// The queue dashboard in a real headless chromium: the browser is sent to the login form, logs in
// with a viewer token and sees lethe's queues rendered by bull-board (under the page's CSP, with
// the token nowhere in the URL). A screenshot goes to test/artifacts/dashboard.png.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createQueuePrefix } from '../helpers.ts';
import { buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import type { PartnerRegistry } from '../../src/partners/registry.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const registry = { file: 'test', partners: [{ id: 'credit-bureau' }], get: () => undefined } as unknown as PartnerRegistry;

let f: ServerFixture;
let q: ReturnType<typeof createQueuePrefix>;
let app: FastifyInstance;
let base: string;
let browser: Browser;

beforeAll(async () => {
  f = await serverFixture('dashboard-browser');
  q = createQueuePrefix('dashboard-browser');
  app = buildServer({ ...f.deps({ LETHE_QUEUE_PREFIX: q.prefix }), partners: registry });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await q?.cleanup();
  await f?.drop();
});

describe('queue dashboard in chromium', () => {
  it('logs in with a token and shows lethe\'s queues; screenshot in test/artifacts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await page.goto(`${base}/queues/`);
      expect(new URL(page.url()).pathname).toBe('/queues/login');
      await page.fill('#token', f.tokens.viewer);
      await page.click('button[type=submit]');
      await page.waitForURL(`${base}/queues/`);
      expect(page.url()).not.toContain('token');
      for (const name of ['scan', 'purge', 'partner-credit-bureau']) {
        await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
      }
      await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
      // One session for the dashboard and the overview page (src/server/routes/login.ts).
      const cookie = (await page.context().cookies()).find((c) => c.name === 'lethe_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookie!.value).not.toContain(f.tokens.viewer);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
