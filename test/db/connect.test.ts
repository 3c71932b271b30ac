// A connection terminated by the server while a transaction holds it between two statements
// (pg_terminate_backend, a failover) fails that transaction; it must not crash the process.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers.ts';
import { ROOT } from '../cli/run-cli.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('connect');
});
afterAll(async () => {
  await t.drop();
});

it('a backend terminated mid-transaction fails the transaction, and the pool carries on', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/db/terminate-mid-transaction.ts', t.url], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ outcome: 'rolled back', after: { n: 3 } });
});
