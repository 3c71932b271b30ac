// Builds the HTTP server on a test database, with its log captured so tests can read it.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createTestDb, testConfig, TEST_SECRET, type TestDb } from '../helpers.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { systemClock } from '../../src/clock.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { buildServer, type ServerDeps } from '../../src/server/app.ts';
import { createToken, revokeToken, ROLES, type Role } from '../../src/tokens/tokens.ts';
import type { Enqueue } from '../../src/pipeline/queues.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));

export interface ServerFixture {
  t: TestDb;
  lender: SmallLender;
  /** Every log line written so far, raw JSON text. */
  logs: string[];
  enqueued: { name: string; data: unknown; jobId?: string }[];
  deps(env?: Record<string, string>, enqueue?: Enqueue): ServerDeps;
  /** One token per role, plus a revoked operator token. */
  tokens: Record<Role | 'revoked', string>;
  drop(): Promise<void>;
}

export async function serverFixture(label: string): Promise<ServerFixture> {
  const t = await createTestDb(label);
  const lender = await seedSmallLender(t.db, new Date());
  const { ruleset: rules } = await buildRuleset(t.db, await loadPolicies(POLICIES));
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } });
  const log = pino({ level: 'debug' }, stream);
  const enqueued: ServerFixture['enqueued'] = [];
  // The queue seam, not Redis: these tests are about the HTTP edge, not the pipeline.
  const record: Enqueue = async (name, data, jobId) => {
    enqueued.push({ name, data, jobId });
  };
  const tokens = {} as ServerFixture['tokens'];
  for (const role of ROLES) tokens[role] = (await createToken(t.db, { name: `test-${role}`, role, actor: 'test' })).token;
  const revoked = await createToken(t.db, { name: 'test-revoked', role: 'operator', actor: 'test' });
  await revokeToken(t.db, revoked.id);
  tokens.revoked = revoked.token;
  return {
    t, lender, logs, enqueued, tokens,
    deps: (env = {}, enqueue = record) => ({
      ctx: { db: t.db, keys: deriveKeys(TEST_SECRET), clock: systemClock, log },
      rules,
      config: testConfig(t, env),
      enqueue,
      startedAt: new Date(),
    }),
    drop: () => t.drop(),
  };
}

export { buildServer };

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
