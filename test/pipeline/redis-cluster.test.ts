// A sweep through a real three-node Redis Cluster, started for this file on free ports: with
// REDIS_URL `…?cluster=true` and a hash-tagged prefix, BullMQ's keys of each queue share a slot
// and the pipeline works as on a single Redis. Without a hash tag the configuration is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Cluster } from 'ioredis';
import { createTestDb, count, testConfig, waitFor, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { sweep } from '../../src/pipeline/sweep.ts';
import { assertRedisAnswers } from '../../src/pipeline/queues.ts';
import { ConfigError } from '../../src/errors.ts';
import { registry } from '../../jobs/index.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/pipeline', import.meta.url));
const NOW = new Date('2026-11-20T08:00:00Z');

/** A port free now whose cluster bus port (+10000) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      }).on('error', reject);
    });
    if (port < 55_000) return port;
  }
}

describe('on a Redis Cluster', () => {
  let t: TestDb;
  let lender: SmallLender;
  let dir: string;
  const nodes: ChildProcess[] = [];
  const ports: number[] = [];
  const prefix = `{lethe-cluster-${randomBytes(3).toString('hex')}}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-cluster-'));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      nodes.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
    }
    for (const port of ports) {
      await waitFor(async () => {
        try { return execFileSync('redis-cli', ['-p', String(port), 'ping']).toString().trim() === 'PONG'; } catch { return false; }
      }, 10_000, `redis-server on ${port}`);
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    await waitFor(async () => ports.every((p) => execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info']).toString().includes('cluster_state:ok')),
      20_000, 'cluster_state:ok');
    t = await createTestDb('cluster');
    lender = await seedSmallLender(t.db, NOW);
  });

  afterAll(async () => {
    for (const n of nodes) n.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await t?.drop();
  });

  const clusterUrl = () => `redis://127.0.0.1:${ports[0]}?cluster=true`;

  it('refuses a prefix without a hash tag, naming the variable', () => {
    expect(() => testConfig(t, { REDIS_URL: clusterUrl(), LETHE_QUEUE_PREFIX: 'lethe' })).toThrow(ConfigError);
    expect(() => testConfig(t, { REDIS_URL: clusterUrl(), LETHE_QUEUE_PREFIX: 'lethe' })).toThrow(/^LETHE_QUEUE_PREFIX must hold a hash tag/);
    expect(() => testConfig(t, { REDIS_URL: clusterUrl(), LETHE_QUEUE_PREFIX: 'lethe{}' })).toThrow(/hash tag/);
  });

  it('sweeps through the cluster: due records destroyed with evidence, queue keys in one slot', async () => {
    const cfg = testConfig(t, { REDIS_URL: clusterUrl(), LETHE_QUEUE_PREFIX: prefix, LETHE_BATCH_SIZE: '2' });
    await assertRedisAnswers(cfg.redisUrl);
    const ctx = { db: t.db, keys: deriveKeys(cfg.secret!), clock: fixedClock(NOW), log: silentLogger };
    const rules = (await buildRuleset(t.db, await loadPolicies(POLICIES))).ruleset;
    const result = await sweep(ctx, rules, cfg, registry, { actor: 'operator:test' });
    // No hold is placed here: the held subject's applications are due like the others.
    const due = [...lender.dueApps, ...lender.heldApps];
    const p = result.policies.find((x) => x.id === 'rejected-loan-applications')!;
    expect(p).toMatchObject({ destroyed: due.length, failed: 0 });
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(due)}::bigint[])`)).toBe(0);
    expect(await count(t.db, 'loan_applications', sql`id = ANY(${sql.param(lender.freshApps)}::bigint[])`)).toBe(lender.freshApps.length);
    expect(await count(t.db, 'lethe.evidence', sql`"table" = 'public.loan_applications'`)).toBe(due.length);

    const cluster = new Cluster([{ host: '127.0.0.1', port: ports[0]! }]);
    try {
      await new Promise((resolve) => cluster.once('ready', resolve));
      const keys = (await Promise.all(cluster.nodes('master').map((n) => n.keys(`${prefix}:*`)))).flat();
      expect(keys.length).toBeGreaterThan(0);
      const slots = new Set(await Promise.all(keys.map((k) => cluster.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      cluster.disconnect();
    }
  });
});
