// Chaos 2: the workers' Redis loses every key (FLUSHALL) and is killed and restarted without
// persistence mid-sweep. A Redis of this file's own: the shared one serves other test files.
import { expect, it } from 'vitest';
import { CHAOS_RECORDS, CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, chaosFile, dueLeft, expectExactlyOnce, seedChaosLender, seededRandom, sleep, startOwnRedis, sweepUnderFault } from './fixture.ts';

const f = chaosFile('redis');

it('every due record destroyed exactly once though Redis is flushed and restarted', async () => {
  const random = seededRandom('redis');
  const { t } = f;
  const redis = await startOwnRedis();
  f.cleanups.push(() => redis.kill());
  const env = chaosEnv(t, f.q.prefix, { REDIS_URL: redis.url });
  const { due } = await seedChaosLender(t, env);
  const p = (f.pool = new WorkerPool(env, 2));
  p.start();
  // Each fault once a tenth of the work has gone since the last one.
  const faults = [() => redis.flushAll(), async () => {
    await redis.kill();
    await sleep(random.int(200, 2000));
    await redis.start();
  }, () => redis.flushAll(), async () => {
    await redis.kill();
    await redis.start();
  }];
  let next = 0;
  let mark = due;
  await sweepUnderFault(t.db, p, async () => {
    await sleep(Math.min(250, Math.max(25, CHAOS_RECORDS / 800)));
    if (next >= faults.length) return;
    const left = await dueLeft(t.db);
    if (mark - left >= Math.max(1, Math.round(CHAOS_RECORDS / 10))) {
      await faults[next++]!();
      mark = left;
    }
  });
  expect(next, 'faults injected before the sweep ended').toBeGreaterThanOrEqual(2);
  expect(p.crashed()).toEqual([]);
  await p.stop();
  await expectExactlyOnce(t.db);
}, CHAOS_TIMEOUT_MS);
