// `lethe serve` as an operator starts it: a subprocess on loopback, called with fetch, stopped
// with SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { startCli } from '../cli/run-cli.ts';
import { createToken } from '../../src/tokens/tokens.ts';

describe('lethe serve (subprocess)', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    t = await createTestDb('serve');
    q = createQueuePrefix('serve');
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await q.cleanup();
    await t.drop();
  });

  it('listens, answers over loopback with auth, and exits 0 on SIGTERM', async () => {
    const { token } = await createToken(t.db, { name: 'serve-test', role: 'viewer', actor: 'test' });
    child = startCli(['serve', '--port', '0'], {
      DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/retention', LOG_LEVEL: 'info',
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000);
      child!.stderr!.on('data', () => {
        const m = /lethe serve: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`serve exited ${code} before listening:\n${stderr}`)));
    });

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, checks: { postgres: 'ok', redis: 'ok', schema: 'ok' } });
    expect((await fetch(`${base}/erasure-requests`)).status).toBe(401);
    const listed = await fetch(`${base}/erasure-requests`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ erasure_requests: [] });
    const denied = await fetch(`${base}/erasure-requests`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(403);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('request denied');
    expect(stderr).not.toContain(token);
  });
});
