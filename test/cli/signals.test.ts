// Stopping `lethe worker` however it was started: `npx lethe worker`, `npm run lethe -- worker`
// or `node bin/lethe.js worker`, by SIGTERM to the process the user started or Ctrl-C (SIGINT to
// the terminal's process group). Afterwards no process of it is left, the worker logged a
// graceful stop, and every batch is whole: done with its evidence, or untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender } from '../fixtures/small-lender.ts';
import { rows } from '../../src/db/sql.ts';
import { ROOT, cliEnv } from './run-cli.ts';

/** Every live process below `root` (from /proc: this is Linux, as the tests' PostgreSQL is). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) if (p === pid) { out.push(child); walk(child); }
  };
  walk(root);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    // A zombie still answers kill(0) until reaped: count it as gone.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

let t: TestDb;
let q: ReturnType<typeof createQueuePrefix>;
const started: ChildProcess[] = [];
const leftovers: number[] = [];

beforeAll(async () => {
  t = await createTestDb('signals');
  q = createQueuePrefix('signals');
  await seedSmallLender(t.db, new Date(), 150);
}, 60_000);
afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await q?.cleanup();
  await t?.drop();
});

const LAUNCHERS: { how: string; argv: string[]; signal: NodeJS.Signals; group: boolean; exit: number | null }[] = [
  // npx dies of SIGTERM at once, whatever its child does (exit null): the worker sees its parent go.
  { how: 'npx lethe worker, SIGTERM to npx', argv: ['npx', 'lethe', 'worker'], signal: 'SIGTERM', group: false, exit: null },
  { how: 'npm run lethe -- worker, SIGTERM to npm', argv: ['npm', 'run', '--silent', 'lethe', '--', 'worker'], signal: 'SIGTERM', group: false, exit: 0 },
  { how: 'npx lethe worker, Ctrl-C', argv: ['npx', 'lethe', 'worker'], signal: 'SIGINT', group: true, exit: null },
  { how: 'node bin/lethe.js worker, SIGTERM', argv: [process.execPath, 'bin/lethe.js', 'worker'], signal: 'SIGTERM', group: false, exit: 0 },
];

describe('stopping lethe worker', () => {
  for (const l of LAUNCHERS) {
    it(`${l.how}: no process left, a graceful stop, every batch whole`, async () => {
      const env = cliEnv({ DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
        LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_SCAN_EVERY: 'PT1S', LETHE_BATCH_SIZE: '2', LOG_LEVEL: 'info' });
      // Its own process group, as a terminal would give it: a group signal reaches only it.
      const child = spawn(l.argv[0]!, l.argv.slice(1), { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdout!.resume();
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // 'close': every process holding the pipes (npm, its shell, the worker) has ended.
      const closed = new Promise<void>((r) => child.on('close', () => r()));
      const deadline = Date.now() + 60_000;
      while (!stderr.includes('lethe worker: running queues')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Let it take some batches, so one may be in flight when the signal comes.
      await new Promise((r) => setTimeout(r, 1500));
      const tree = [child.pid!, ...descendants(child.pid!)];
      leftovers.push(...tree);
      const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; } };
      expect(tree.filter((pid) => /lethe(\.js)?\0worker/.test(cmdline(pid))), 'the worker process').toHaveLength(1);
      if (l.group) process.kill(-child.pid!, l.signal);
      else child.kill(l.signal);
      const code = await exited;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
      expect(tree.filter(alive), `left running:\n${stderr}`).toEqual([]);
      if (l.exit !== null) expect(code).toBe(l.exit);
      expect(stderr).toMatch(/"msg":"stopping: finishing the batches in flight"/);
      expect(stderr).toContain('"msg":"worker stopped"');
      // Whole batches only: a closed batch has its evidence, an open one destroyed nothing.
      const bad = await rows<{ id: string }>(t.db, sql`SELECT b.id::text FROM lethe.batches b
        WHERE (b.status = 'done') <> EXISTS (SELECT 1 FROM lethe.evidence e WHERE e.batch_id = b.id AND e.action = 'delete')
          AND b.destroyed > 0 OR (b.status = 'pending' AND EXISTS (SELECT 1 FROM lethe.evidence e WHERE e.batch_id = b.id))`);
      expect(bad).toEqual([]);
    }, 120_000);
  }
});
