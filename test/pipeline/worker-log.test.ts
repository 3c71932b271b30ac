// What an operator sees running `lethe worker` in a terminal at the default level: one readable
// line per purged batch (policy, records, ms) and per finished scan, in local time; JSON lines
// when stderr is not a terminal. The terminal is a real pseudo-terminal (util-linux `script`).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, count, REDIS_URL, TEST_SECRET, waitFor, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { rows } from '../../src/db/sql.ts';
import { prettyLine } from '../../src/log-pretty.ts';
import { ROOT, cliEnv } from '../cli/run-cli.ts';

let t: TestDb;
let q: ReturnType<typeof createQueuePrefix>;
let lender: SmallLender;
beforeAll(async () => {
  t = await createTestDb('worker_log');
  q = createQueuePrefix('worker-log');
  lender = await seedSmallLender(t.db, new Date(), 10);
}, 60_000);
afterAll(async () => {
  await q?.cleanup();
  await t?.drop();
});

// eslint-disable-next-line no-control-regex -- terminal colour codes are what is stripped
const ANSI = /\x1b\[[0-9;]*m/g;

describe('lethe worker on a terminal', () => {
  it('prints one readable line per batch and per scan, no JSON', async () => {
    const env = cliEnv({ DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_SCAN_EVERY: 'PT1S', LETHE_BATCH_SIZE: '4', LETHE_TIMEZONE: 'Asia/Shanghai' });
    // `script` gives the worker a pseudo-terminal as stdin, stdout and stderr.
    const child = spawn('script', ['-qfec', `${process.execPath} bin/lethe.js worker`, '/dev/null'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    const lines = () => out.replace(ANSI, '').split(/\r?\n/).filter(Boolean);
    const batchLines = () => lines().filter((l) => l.includes('batch purged') && l.includes('policy=rejected-loan-applications'));
    const doneBatches = async () => (await rows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM lethe.batches
      WHERE policy_id = 'rejected-loan-applications' AND status = 'done'`))[0]!.n;
    try {
      const due = sql`id = ANY(${sql.param([...lender.dueApps, ...lender.heldApps])}::bigint[])`;
      await waitFor(async () => (await count(t.db, 'loan_applications', due)) === 0, 60_000, 'the due applications to go');
      // A batch commits, then logs: wait for the last line before stopping the worker.
      await waitFor(async () => batchLines().length >= await doneBatches() && /scan finished/.test(out), 10_000, 'the log lines');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await closed;
    }
    expect(lines().filter((l) => l.trimStart().startsWith('{')), 'no JSON on a terminal').toEqual([]);
    const batches = batchLines();
    const n = await doneBatches();
    expect(n).toBeGreaterThan(1);
    expect(batches).toHaveLength(n);
    for (const b of batches) expect(b).toMatch(/^\d\d:\d\d:\d\d INFO {2}batch purged {2}policy=rejected-loan-applications records=\d+ ms=\d+ /);
    expect(batches.reduce((a, b) => a + Number(/records=(\d+)/.exec(b)![1]), 0)).toBe(lender.dueApps.length + lender.heldApps.length);
    expect(lines().some((l) => /INFO {2}scan finished {2}policy=rejected-loan-applications records=\d+ ms=\d+/.test(l))).toBe(true);
  }, 120_000);
});

describe('the pretty line', () => {
  it('local time, level, message, policy/records/ms first; uuids shortened, job ids hidden', () => {
    const json = JSON.stringify({ level: 30, time: '2026-12-02T21:36:05.123Z', job: 'purge-batch', jobId: '7f3c', held: 0, records: 1000,
      policy: 'access-logs', ms: 84, batch: '0b0e4a52-1d1c-4a52-9c1d-3b6f0e4a521d', msg: 'batch purged' });
    expect(prettyLine(json, 'Asia/Shanghai', false)).toBe('05:36:05 INFO  batch purged  policy=access-logs records=1000 ms=84 job=purge-batch held=0 batch=0b0e4a52…\n');
    expect(prettyLine(json, 'UTC', false)).toMatch(/^21:36:05 /);
    expect(prettyLine('not json', 'UTC', false)).toBe('not json\n');
    expect(prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'x', err: 'a b' }), 'UTC', true)).toBe('00:00:00 \x1b[31mERROR\x1b[0m x  err="a b"\n');
  });
});
