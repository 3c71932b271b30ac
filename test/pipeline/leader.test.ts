// `lethe worker` whose leadership connection is terminated (pg_terminate_backend, a failover)
// reconnects and leads again: otherwise no worker would put back schedulers Redis lost.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb, waitFor } from '../helpers.ts';
import { ADMIN_URL } from '../db-names.ts';
import { startCli } from '../cli/run-cli.ts';
import { LOCKS } from '../../src/db/sql.ts';

let t: TestDb;
const q = createQueuePrefix('leader');
let worker: ReturnType<typeof startCli> | undefined;
let admin: pg.Client;
beforeAll(async () => {
  t = await createTestDb('leader');
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
});
afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await admin.end();
  await q.cleanup();
  await t.drop();
});

/** pids of this database's sessions holding the leader lock. */
const leaders = async () => (await admin.query<{ pid: number }>(`SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
  WHERE a.datname = $1 AND l.locktype = 'advisory' AND l.granted AND l.objid = $2`, [t.name, LOCKS.schedulerLeader])).rows.map((r) => r.pid);

it('leads again after its leadership connection was terminated', async () => {
  worker = startCli(['worker'], { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
    LETHE_POLICIES: 'test/fixtures/pipeline', LETHE_SCAN_EVERY: 'PT1H', LETHE_RECONCILE_EVERY: 'PT1S', LOG_LEVEL: 'warn' });
  let log = '';
  worker.stderr.on('data', (d) => (log += d));
  await waitFor(async () => (await leaders()).length === 1, 30_000, 'the worker to lead').catch((e) => {
    throw new Error(`${String(e)}\n${log}`);
  });
  const [first] = await leaders();
  await admin.query('SELECT pg_terminate_backend($1)', [first]);
  await waitFor(async () => (await leaders()).length === 1 && (await leaders())[0] !== first, 10_000, 'a new leadership connection');
  expect(worker.exitCode).toBeNull();
});
