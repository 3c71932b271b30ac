// Chaos 3: the workers' PostgreSQL connections terminated (pg_terminate_backend) again and
// again, mid-transaction, while they sweep.
import pg from 'pg';
import { expect, it } from 'vitest';
import { ADMIN_URL } from '../db-names.ts';
import { CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, chaosFile, expectExactlyOnce, seedChaosLender, seededRandom, sleep, sweepUnderFault } from './fixture.ts';

const f = chaosFile('pgterm');

it('every due record destroyed exactly once though worker connections are terminated', async () => {
  const random = seededRandom('pg-terminate');
  const { t } = f;
  const env = chaosEnv(t, f.q.prefix);
  await seedChaosLender(t, env);
  const admin = new pg.Client({ connectionString: ADMIN_URL, application_name: 'lethe chaos' });
  await admin.connect();
  let terminated = 0;
  try {
    f.pool = new WorkerPool(env, 2);
    f.pool.start();
    // Connections of running workers: one cut during start-up only tests start-up, which exits
    // with "cannot connect" for its supervisor to restart (a run of this file once hit it).
    await Promise.all([0, 1].map((i) => f.pool!.whenReady(i)));
    await sweepUnderFault(t.db, f.pool, async () => {
      await sleep(random.int(100, 800));
      // Only this file's database, only lethe's connections (workers and their leader), and
      // those in a transaction or a statement; never this test's own polls of chaos_expected.
      const busy = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND application_name LIKE 'lethe%' AND pid <> pg_backend_pid()
          AND (xact_start IS NOT NULL OR state <> 'idle') AND query NOT LIKE '%chaos_expected%' ORDER BY pid`, [t.name]);
      if (busy.rows.length === 0) return;
      const victim = busy.rows[random.int(0, busy.rows.length - 1)]!.pid;
      const r = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [victim]);
      if (r.rows[0]!.ok) terminated++;
    });
  } finally {
    await admin.end();
  }
  console.log(`pg-terminate: ${terminated} backends terminated`);
  expect(terminated).toBeGreaterThan(0);
  expect(f.pool.crashed()).toEqual([]);
  await f.pool.stop();
  await expectExactlyOnce(t.db);
}, CHAOS_TIMEOUT_MS);
