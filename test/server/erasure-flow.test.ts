// The API path end to end, through real Redis and workers: POST /erasure-requests is answered
// at once (received), a worker carries the request out (job erase-subject), GET shows the
// per-policy outcome; a pushed consent withdrawal empties the subject's marketing profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { bearer, buildServer, serverFixture, type ServerFixture } from './server-fixture.ts';
import { count, createQueuePrefix, waitFor } from '../helpers.ts';
import { Queues, redisConnection } from '../../src/pipeline/queues.ts';
import { startWorkers, type WorkerSet } from '../../src/pipeline/workers.ts';
import { registry } from '../../jobs/index.ts';
import type { ErasureView } from '../../src/erasure/types.ts';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../src/pipeline/redis.ts';

describe('erasure and consent through the API and the workers', () => {
  let f: ServerFixture;
  let q: ReturnType<typeof createQueuePrefix>;
  let connection: RedisClient;
  let queues: Queues;
  let workers: WorkerSet;
  let app: FastifyInstance;

  beforeAll(async () => {
    f = await serverFixture('erasureflow');
    q = createQueuePrefix('erasureflow');
    connection = redisConnection('redis://127.0.0.1:6379');
    queues = new Queues(connection, q.prefix);
    const deps = f.deps({ LETHE_QUEUE_PREFIX: q.prefix }, queues.enqueue);
    workers = startWorkers({ ...deps.ctx, rules: deps.rules, config: deps.config, enqueue: deps.enqueue }, registry, { connection, prefix: q.prefix, queues: ['scan', 'purge'], concurrency: 1 });
    app = buildServer(deps);
  });
  afterAll(async () => {
    await app.close();
    await workers.close();
    await queues.close();
    connection.disconnect();
    await q.cleanup();
    await f.drop();
  });

  it('POST /erasure-requests → worker → GET /erasure-requests/:id with the outcome', async () => {
    const subject = f.lender.customers.plain;
    const posted = await app.inject({ method: 'POST', url: '/erasure-requests', headers: bearer(f.tokens.operator), payload: { subject, ticket: 'API-1' } });
    expect(posted.statusCode, posted.body).toBe(202);
    const { id } = posted.json() as ErasureView;
    let view: ErasureView | undefined;
    await waitFor(async () => {
      const got = await app.inject({ method: 'GET', url: `/erasure-requests/${id}`, headers: bearer(f.tokens.viewer) });
      view = got.json() as ErasureView;
      return !['received', 'in_progress'].includes(view.status);
    }, 20_000, 'the worker to carry out the request');
    expect(view!.status).toBe('partially_deferred');
    expect(view!.policies.find((p) => p.policy === 'rejected-loan-applications')!.destroyed).toBe(f.lender.dueApps.length + f.lender.freshApps.length);
    expect(view!.policies.find((p) => p.policy === 'kyc-records')).toMatchObject({ destroyed: 1, deferred: 1 });
    expect(view!.reply).toContain('API-1');
    expect(await count(f.t.db, 'loan_applications', sql`customer_id = ${subject} AND status = 'rejected'`)).toBe(0);
  });

  it('POST /events/consent-withdrawn empties the subject\'s marketing profile once the grace period has run', async () => {
    const subject = f.lender.customers.ended;
    await f.t.db.execute(sql`INSERT INTO marketing_profiles (customer_id, phone, created_at, updated_at) VALUES (${subject}, '13600000000', now(), now())`);
    const withdrawnAt = new Date(Date.now() - 3 * 86_400_000);
    await f.t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at, withdrawn_at) VALUES (${subject}, 'marketing', now() - interval '1 year', ${withdrawnAt})`);
    const posted = await app.inject({ method: 'POST', url: '/events/consent-withdrawn', headers: bearer(f.tokens.operator),
      payload: { subject, purpose: 'marketing', withdrawn_at: withdrawnAt.toISOString() } });
    expect(posted.statusCode, posted.body).toBe(202);
    await waitFor(async () => (await count(f.t.db, 'marketing_profiles', sql`customer_id = ${subject}`)) === 0, 20_000, 'the profile to go');
    const malformed = await app.inject({ method: 'POST', url: '/events/consent-withdrawn', headers: { ...bearer(f.tokens.operator), 'content-type': 'application/json' }, payload: '{"subject":' });
    expect(malformed.statusCode).toBe(400);
  });
});
