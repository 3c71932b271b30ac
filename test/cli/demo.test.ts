// `lethe demo` as a newcomer runs it: embedded database, real Redis, the shipped policies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueuePrefix, REDIS_URL } from '../helpers.ts';
import { ROOT, runCli } from './run-cli.ts';

describe('lethe demo', () => {
  let dir: string;
  let q: ReturnType<typeof createQueuePrefix>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-demo-'));
    q = createQueuePrefix('demo');
  });
  afterAll(async () => {
    await q.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  // A whole demo: seeding, a local S3 server, a partner, a sweep of every policy through Redis,
  // an erasure request. About 15-30 s alone; 60 s was not enough beside other suites on 2 cores.
  it('seeds, holds, sweeps and reports what was destroyed, held and kept', async () => {
    const env = { REDIS_URL, LETHE_QUEUE_PREFIX: q.prefix, LETHE_POLICIES: join(ROOT, 'policies') };
    const r = await runCli(['demo', '--customers', '300', '--json'], env, { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      secretSource: string; evidence: { ok: boolean; records: number };
      sweep: { policies: { id: string; destroyed: number; held: number; anonymised: number; due: number }[] };
      plan: { id: string; due: number }[]; kept: { table: string; before: number; after: number }[]; sample: Record<string, unknown>;
      partners: { partner: string; requests: number; confirmed: number; failed: number; unsettled: number };
      objects: { store: string; uploaded: number; left: number; deleted: number; absent: number; pending: number; failed: number }[];
    };
    expect(report.secretSource).toBe('generated');
    expect(existsSync(join(dir, '.lethe', 'secret'))).toBe(true);
    expect(report.evidence.ok).toBe(true);
    const destroyed = report.sweep.policies.reduce((a, p) => a + p.destroyed, 0);
    expect(destroyed).toBeGreaterThan(0);
    expect(report.sweep.policies.reduce((a, p) => a + p.held, 0)).toBeGreaterThan(0);
    // Plan = sweep: per policy, what the plan counted is what the sweep then did.
    for (const p of report.plan) {
      const s = report.sweep.policies.find((x) => x.id === p.id)! as unknown as Record<string, number>;
      for (const k of ['due', 'held', 'deferred', 'restricted', 'destroyed', 'anonymised', 'failed']) {
        expect(s[k], `${p.id}.${k}`).toBe((p as unknown as Record<string, number>)[k]);
      }
    }
    const apps = report.kept.find((k) => k.table === 'loan_applications')!;
    expect(apps.after).toBeLessThan(apps.before);
    expect(apps.after).toBeGreaterThan(0);
    expect(report.sample).toMatchObject({ record_ref: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The rejected applications' destruction reached the reference partner and came back confirmed.
    expect(report.partners.partner).toBe('huidai-facilitator');
    expect(report.partners.requests).toBeGreaterThan(0);
    expect(report.partners).toMatchObject({ confirmed: report.partners.requests, failed: 0, unsettled: 0 });
    // The face images and recordings were files in a local S3 server: those of destroyed records are gone.
    const faces = report.objects.find((o) => o.store === 'face-images')!;
    expect(faces.uploaded).toBeGreaterThan(0);
    expect(faces.left).toBeLessThan(faces.uploaded);
    expect(faces.left).toBeGreaterThan(0);
    expect(report.objects.reduce((a, o) => a + o.pending + o.failed, 0)).toBe(0);
    expect(report.objects.find((o) => o.store === 'loan-documents')!.absent).toBeGreaterThan(0);
    // The shipped pack is untouched: the demo notifies through its own copy.
    expect(readFileSync(join(ROOT, 'policies', 'rejected-loan-applications.yaml'), 'utf8')).not.toMatch(/^partners:/m);
    expect(readFileSync(join(dir, '.lethe', 'policies', 'rejected-loan-applications.yaml'), 'utf8')).toMatch(/^partners: notify$/m);
  }, 180_000);

  it('rejects a bad --customers with exit 2', async () => {
    const r = await runCli(['demo', '--customers', 'lots'], { REDIS_URL }, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--customers "lots" must be a whole number');
  });
});
