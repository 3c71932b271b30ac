// Issue #12, item 1, as it broke: `hold add --subject 0100000894` was accepted and protected
// nothing, and `erase --subject 0100000894` then destroyed customer 100000894's records. Every
// command and endpoint that takes a subject id now refuses another spelling (exit 2 / 400)
// naming the canonical one, and a hold protects exactly what an erasure of its input destroys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { count, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { runCli } from '../cli/run-cli.ts';
import { bearer, buildServer, serverFixture, type ServerFixture } from '../server/server-fixture.ts';

const DAY = 86_400_000;
const ID = '100000894';
const SPELLINGS = ['0100000894', '+100000894', ` ${ID}`, '１０００００８９４', `${ID}.0`];

describe('a subject id in another spelling, on the command line', () => {
  let t: TestDb;
  let env: Record<string, string>;
  const apps = sql`customer_id = ${ID}::bigint`;

  beforeAll(async () => {
    t = await createTestDb('spellings');
    env = { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: 'test/fixtures/retention', LETHE_OPERATOR: 'li.lei', LOG_LEVEL: 'warn' };
    await t.db.execute(sql`INSERT INTO customers (id, full_name, phone, city, created_at) VALUES (${ID}::bigint, '赵敏', '13700001111', '上海', now() - interval '3 years')`);
    for (let i = 0; i < 3; i++) {
      await t.db.execute(sql`INSERT INTO loan_applications (customer_id, status, amount, applied_at, decided_at)
        VALUES (${ID}::bigint, 'rejected', 1000, ${new Date(Date.now() - (45 + i) * DAY)}, ${new Date(Date.now() - (40 + i) * DAY)})`);
    }
  });
  afterAll(async () => t.drop());

  it('hold, erase, purge, plan and evidence find refuse it with exit 2, naming the canonical form, and destroy nothing', async () => {
    const attempts = [
      ...SPELLINGS.flatMap((spelling) => [
        ['hold', 'add', '--subject', spelling, '--reason', 'court order'],
        ['erase', '--subject', spelling, '--ticket', `T-${spelling}`],
      ]),
      ['purge', 'request', '--subject', SPELLINGS[0]!, '--reason', 'INC-1'],
      ['plan', '--subject', SPELLINGS[1]!],
      ['evidence', 'find', '--subject', SPELLINGS[2]!],
    ];
    for (const args of attempts) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`give it as ${ID}`);
    }
    expect(await count(t.db, 'loan_applications', apps)).toBe(3);
    expect(await count(t.db, 'lethe.holds')).toBe(0);
    expect(await count(t.db, 'lethe.erasure_requests')).toBe(0);
    expect(await count(t.db, 'lethe.purge_requests')).toBe(0);
  });

  it('the canonical id: the hold protects exactly what the erasure of the same id would destroy', async () => {
    const hold = await runCli(['hold', 'add', '--subject', ID, '--reason', 'court order'], env);
    expect(hold.code, hold.stderr).toBe(0);
    const erase = await runCli(['erase', '--subject', ID, '--ticket', 'T-1', '--json'], env);
    expect(erase.code, erase.stderr).toBe(0);
    const view = JSON.parse(erase.stdout) as { status: string; policies: { policy: string; destroyed: number; anonymised: number; held: number }[] };
    expect(view.status).toBe('held');
    expect(view.policies.find((p) => p.policy === 'rejected-loan-applications')).toMatchObject({ destroyed: 0, held: 3 });
    expect(view.policies.every((p) => p.destroyed + p.anonymised === 0)).toBe(true);
    expect(await count(t.db, 'loan_applications', apps)).toBe(3);
  });
});

describe('a subject id in another spelling, over HTTP', () => {
  let f: ServerFixture;
  let app: ReturnType<typeof buildServer>;

  beforeAll(async () => {
    f = await serverFixture('spellingsapi');
    app = buildServer(f.deps());
  });
  afterAll(async () => {
    await app.close();
    await f.drop();
  });

  it('POST /holds, /erasure-requests, /purge-requests and GET /plan answer 400 naming the canonical form', async () => {
    const id = f.lender.customers.plain;
    const spelling = `0${id}`;
    const op = bearer(f.tokens.operator);
    for (const [url, payload] of [
      ['/holds', { subject: spelling, reason: 'court order' }],
      ['/erasure-requests', { subject: spelling, ticket: 'T-9' }],
      ['/purge-requests', { subject: spelling, reason: 'INC-9' }],
    ] as const) {
      const r = await app.inject({ method: 'POST', url, headers: op, payload });
      expect(r.statusCode, `${url} ${r.body}`).toBe(400);
      expect(r.json().error.message, url).toContain(`give it as ${id}`);
    }
    const plan = await app.inject({ method: 'GET', url: `/plan?subject=%2B${id}`, headers: op });
    expect(plan.statusCode).toBe(400);
    expect(plan.json().error.message).toContain(`give it as ${id}`);
    expect(await count(f.t.db, 'lethe.holds')).toBe(0);
    expect(await count(f.t.db, 'lethe.erasure_requests')).toBe(0);
    expect(f.enqueued).toEqual([]);
  });
});
