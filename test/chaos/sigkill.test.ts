// Chaos 1: `lethe worker` processes SIGKILLed at random moments during a sweep and restarted
// each time, until nothing due is left.
import { expect, it } from 'vitest';
import { waitFor } from '../helpers.ts';
import { CHAOS_BATCH, CHAOS_TIMEOUT_MS, WorkerPool, chaosEnv, chaosFile, dueLeft, expectExactlyOnce, seedChaosLender, seededRandom, sleep, sweepUnderFault } from './fixture.ts';

const f = chaosFile('kill');

it('every due record destroyed exactly once though workers are killed again and again', async () => {
  const random = seededRandom('sigkill');
  const env = chaosEnv(f.t, f.q.prefix);
  const lender = await seedChaosLender(f.t, env);
  const p = (f.pool = new WorkerPool(env, 3));
  p.start();
  // The first kill as soon as the sweep has begun, so that even a quick one sees a kill.
  const { due } = lender;
  await waitFor(async () => (await dueLeft(f.t.db)) < due, CHAOS_TIMEOUT_MS / 2, 'the sweep to begin');
  await p.kill(random.int(0, p.size - 1));
  p.start();
  await sweepUnderFault(f.t.db, p, async () => {
    // Once the victim runs its queues, kill it 0.1–2 s later (longer for big batches, so that
    // some commit): mid-scan, mid-batch or between.
    const victim = random.int(0, p.size - 1);
    await p.whenReady(victim);
    await sleep(random.int(100, Math.max(2000, CHAOS_BATCH * 5)));
    await p.kill(victim);
    if (random.next() < 0.5) await sleep(random.int(0, 500));
    p.restart(victim);
  });
  expect(p.kills).toBeGreaterThan(0);
  expect(p.crashed()).toEqual([]);
  await p.stop();
  await expectExactlyOnce(f.t.db);
}, CHAOS_TIMEOUT_MS);
