// Suppression after a refusal, with the shipped marketing policy: a withdrawal (or an erasure
// request) puts keyed hashes of the subject and of the profile's phone and e-mail on the list in
// the destroying transaction; `suppress check` answers 3 for the subject and for their contact
// points in any spelling, 0 for someone who did not refuse; a re-grant lifts it; an export is
// matched by a third party with the handed-over key; and lethe's schema holds no contact value
// or raw id afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { count, createTestDb, TEST_SECRET, testConfig, type TestDb } from '../helpers.ts';
import { ROOT, runCli } from '../cli/run-cli.ts';
import { packStores } from '../fixtures/s3.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { one, rows } from '../../src/db/sql.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { checkSuppression, liftSuppression } from '../../src/suppress/check.ts';
import { ConflictError, UsageError } from '../../src/errors.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-05-04T10:00:00Z');
const keys = deriveKeys(TEST_SECRET);

interface Person { id: string; phone: string; email: string }

describe('suppression after a refusal', () => {
  let t: TestDb;
  let dir: string;
  let rules: Ruleset;
  let ctx: EngineContext;
  const people: Record<'withdrew' | 'stayed' | 'erased', Person> = {} as never;
  const cli = (args: string[]) => runCli(['suppress', ...args], { DATABASE_URL: t.url, LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', LETHE_OPERATOR: 'wang.li' });

  async function person(name: string, phone: string, email: string, withdrawn: Date | null, endedYearsAgo: number | null): Promise<Person> {
    const ended = endedYearsAgo === null ? null : new Date(NOW.getTime() - endedYearsAgo * 365.25 * 86_400_000);
    const id = (await one<{ id: string }>(t.db, sql`INSERT INTO customers (full_name, phone, email, city, created_at, relationship_ended_at)
      VALUES (${name}, ${phone}, ${email}, '上海', '2010-01-01', ${ended}) RETURNING id::text AS id`))!.id;
    await t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at, withdrawn_at) VALUES (${id}::bigint, 'marketing', '2010-01-01', ${withdrawn})`);
    await t.db.execute(sql`INSERT INTO marketing_profiles (customer_id, phone, email, segment, created_at, updated_at)
      VALUES (${id}::bigint, ${phone}, ${email}, 'young', '2010-01-02', '2010-01-02')`);
    return { id, phone, email };
  }

  beforeAll(async () => {
    t = await createTestDb('suppress');
    dir = await mkdtemp(join(tmpdir(), 'lethe-suppress-'));
    const pack = await loadPolicies(join(ROOT, 'policies'));
    rules = (await buildRuleset(t.db, pack, packStores())).ruleset;
    ctx = { db: t.db, keys, clock: fixedClock(NOW), log: silentLogger };
    people.withdrew = await person('王小明', '13800138000', 'Wang.XiaoMing@QQ.com', new Date('2026-04-01T00:00:00Z'), null);
    people.stayed = await person('李四', '13900139000', 'li.si@163.com', null, null);
    // Relationship over long ago: every floor has run, so the erasure leaves no restriction behind.
    people.erased = await person('赵五', '+86 137 0013 7000', 'zhao5@sina.com', null, 12);
    const marketing = (await buildRuleset(t.db, pack.filter((p) => p.id === 'marketing-profiles'), packStores())).ruleset;
    await sweepInline(ctx, marketing);
    const id = await recordErasureRequest(ctx, rules, 15, { subject: people.erased.id, ticket: 'SUP-1', actor: 'operator:test' });
    await executeErasure(ctx, rules, id, { batchSize: 100 });
  });
  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('wrote the refusals in the destroying transactions: the withdrawal and the erasure, each with its reason', async () => {
    expect(await count(t.db, 'marketing_profiles', sql`customer_id = ANY(${sql.param([people.withdrew.id, people.erased.id])}::bigint[])`)).toBe(0);
    expect(await count(t.db, 'marketing_profiles', sql`customer_id = ${people.stayed.id}::bigint`)).toBe(1);
    const by = await rows<{ reason: string; kind: string; n: number }>(t.db, sql`SELECT reason, kind, count(*)::int AS n FROM lethe.suppressions
      WHERE lifted_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(by).toEqual([
      { reason: 'consent_withdrawn', kind: 'email', n: 1 }, { reason: 'consent_withdrawn', kind: 'phone', n: 1 }, { reason: 'consent_withdrawn', kind: 'subject', n: 1 },
      { reason: 'erasure_request', kind: 'email', n: 1 }, { reason: 'erasure_request', kind: 'phone', n: 1 }, { reason: 'erasure_request', kind: 'subject', n: 1 },
    ]);
  });

  it('suppress check: 3 for the subject who withdrew and their e-mail in any case and phone in any spelling, 0 for one who did not', async () => {
    const w = people.withdrew;
    for (const args of [['--subject', w.id], ['--contact', 'wang.xiaoming@qq.com'], ['--contact', 'WANG.XIAOMING@QQ.COM'], ['--contact', ' Wang.XiaoMing@QQ.com'],
      ['--contact', 'ｗａｎｇ.ｘｉａｏｍｉｎｇ＠ｑｑ.ｃｏｍ'], ['--contact', '+86 138-0013-8000'], ['--contact', '008613800138000'], ['--contact', '(138) 0013 8000']]) {
      const r = await cli(['check', '--purpose', 'marketing', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stdout).toMatch(/^SUPPRESSED for marketing/);
    }
    const erased = await cli(['check', '--purpose', 'marketing', '--contact', '13700137000', '--json']);
    expect(erased.code).toBe(3);
    expect(JSON.parse(erased.stdout)).toMatchObject({ purpose: 'marketing', kind: 'phone', suppressed: true, reasons: ['erasure_request'] });
    for (const args of [['--subject', people.stayed.id], ['--contact', people.stayed.email.toUpperCase()], ['--contact', people.stayed.phone]]) {
      const r = await cli(['check', '--purpose', 'marketing', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('refuses what it cannot answer honestly: an unknown purpose, both or neither lookups, a value that is no contact, another spelling of an id', async () => {
    const refused = async (args: string[], message: RegExp) => {
      const r = await cli(['check', ...args]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toMatch(message);
    };
    await refused(['--purpose', 'credit_report', '--subject', people.withdrew.id], /no loaded policy keeps a suppression list for purpose "credit_report"; purposes with one: marketing/);
    await refused(['--purpose', 'marketing'], /exactly one of a subject id or a contact/);
    await refused(['--purpose', 'marketing', '--subject', people.withdrew.id, '--contact', 'a@b.cn'], /exactly one/);
    await refused(['--purpose', 'marketing', '--contact', '12345'], /phone number without a country code/);
    await refused(['--purpose', 'marketing', '--contact', 'not an address@'], /e-mail address is local@domain/);
    await refused(['--purpose', 'marketing', '--subject', `0${people.withdrew.id}`], new RegExp(`give it as ${people.withdrew.id}`));
  });

  it('a lift needs the consent granted again, and then lifts the subject with their contact points', async () => {
    const w = people.withdrew;
    await expect(liftSuppression(ctx, rules, { purpose: 'marketing', subject: w.id, actor: 'operator:test', reason: 'asked by phone' })).rejects.toBeInstanceOf(ConflictError);
    expect((await cli(['lift', '--purpose', 'marketing', '--subject', w.id, '--reason', 'asked by phone'])).code).toBe(2);
    await t.db.execute(sql`INSERT INTO consents (customer_id, purpose, granted_at) VALUES (${w.id}::bigint, 'marketing', '2026-05-01')`);
    const r = await cli(['lift', '--purpose', 'marketing', '--subject', w.id, '--reason', 'consent renewed in the app', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ purpose: 'marketing', lifted: 3 });
    expect((await checkSuppression(t.db, keys, rules, { purpose: 'marketing', contact: w.email })).suppressed).toBe(false);
    expect((await cli(['check', '--purpose', 'marketing', '--subject', w.id])).code).toBe(0);
    expect(await rows(t.db, sql`SELECT lifted_by, lift_reason FROM lethe.suppressions WHERE lifted_at IS NOT NULL LIMIT 1`))
      .toEqual([{ lifted_by: 'operator:wang.li', lift_reason: 'consent renewed in the app' }]);
    await expect(checkSuppression(t.db, keys, rules, { purpose: 'marketing', contact: 'x' })).rejects.toBeInstanceOf(UsageError);
  });

  it('exports hashes a third party matches with the handed-over key, and never prints or overwrites the key', async () => {
    const keyFile = join(dir, 'suppression.key');
    const k = await runCli(['suppress', 'key', '--out', keyFile], { LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' });
    expect(k.code, k.stderr).toBe(0);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(k.stdout + k.stderr).not.toContain(key);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await runCli(['suppress', 'key', '--out', keyFile], { LETHE_SECRET: TEST_SECRET })).code).toBe(2);
    // The key opens the list, nothing else: it is none of the other keys lethe derives.
    expect([keys.refKey, keys.evidenceKey, keys.sessionKey, keys.planKey].map((b) => b.toString('hex'))).not.toContain(key);

    const out = join(dir, 'list.json');
    expect((await cli(['export', '--purpose', 'marketing', '--out', out])).code).toBe(0);
    const list = JSON.parse(await readFile(out, 'utf8')) as { entries: { kind: string; hash: string }[]; key_id: string; normalisation: Record<string, string> };
    expect(list.entries.map((e) => e.kind).sort()).toEqual(['email', 'phone', 'subject']); // the erased subject's; the lifted one's are gone
    // The recipient's side: its own spelling, the documented normalisation, HMAC with the key file.
    const theirs = (kind: string, normalised: string) => createHmac('sha256', Buffer.from(key, 'hex')).update(`${kind}:${normalised}`).digest('hex');
    const hashes = new Set(list.entries.map((e) => e.hash));
    expect(hashes.has(theirs('phone', '+8613700137000'))).toBe(true);
    expect(hashes.has(theirs('email', 'zhao5@sina.com'))).toBe(true);
    expect(hashes.has(theirs('email', people.stayed.email))).toBe(false);
    const csv = join(dir, 'list.csv');
    expect((await cli(['export', '--purpose', 'marketing', '--format', 'csv', '--out', csv])).code).toBe(0);
    expect((await readFile(csv, 'utf8')).split('\r\n').filter((l) => /^(phone|email|subject),[0-9a-f]{64}$/.test(l))).toHaveLength(3);
  });

  it('over HTTP: GET /suppressions/check for any token, POST /events/consent-granted for operators', async () => {
    const { buildServer } = await import('../../src/server/app.ts');
    const { createToken } = await import('../../src/tokens/tokens.ts');
    const viewer = (await createToken(t.db, { name: 'campaign-tool', role: 'viewer', actor: 'test' })).token;
    const operator = (await createToken(t.db, { name: 'consent-system', role: 'operator', actor: 'test' })).token;
    const app = buildServer({ ctx, rules, config: testConfig(t), enqueue: async () => {}, startedAt: new Date() });
    try {
      const check = (query: string, token = viewer) => app.inject({ method: 'GET', url: `/suppressions/check?${query}`, headers: { authorization: `Bearer ${token}` } });
      const suppressed = await check(`purpose=marketing&contact=${encodeURIComponent('ZHAO5@SINA.COM')}`);
      expect(suppressed.statusCode).toBe(200);
      expect(suppressed.headers['cache-control']).toBe('no-store');
      expect(suppressed.json()).toMatchObject({ purpose: 'marketing', kind: 'email', suppressed: true, reasons: ['erasure_request'] });
      expect((await check(`purpose=marketing&subject=${people.stayed.id}`)).json()).toMatchObject({ kind: 'subject', suppressed: false });
      expect((await check('purpose=marketing&contact=123')).statusCode).toBe(400);
      expect((await check(`purpose=marketing&subject=${people.stayed.id}&contact=a@b.cn`)).statusCode).toBe(400);
      expect((await check('contact=a@b.cn')).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/suppressions/check?purpose=marketing&contact=a@b.cn' })).statusCode).toBe(401);
      // The same question with the contact in the body, where no proxy's access log keeps it.
      const post = (payload: unknown, token = viewer) => app.inject({ method: 'POST', url: '/suppressions/check',
        headers: { authorization: `Bearer ${token}` }, payload: payload as Record<string, unknown> });
      const byBody = await post({ purpose: 'marketing', contact: 'ZHAO5@SINA.COM' });
      expect(byBody.statusCode).toBe(200);
      expect(byBody.headers['cache-control']).toBe('no-store');
      expect(byBody.json()).toEqual(suppressed.json());
      expect((await post({ purpose: 'marketing', subject: people.stayed.id })).json()).toMatchObject({ kind: 'subject', suppressed: false });
      expect((await post({ purpose: 'marketing', contact: '123' })).statusCode).toBe(400);
      expect((await post({ purpose: 'marketing', subject: people.stayed.id, contact: 'a@b.cn' })).statusCode).toBe(400);
      expect((await post({ contact: 'a@b.cn' })).statusCode).toBe(400);
      expect((await post({ purpose: 'marketing', contact: 'a@b.cn', phone: '13800138000' })).statusCode).toBe(400);
      expect((await app.inject({ method: 'POST', url: '/suppressions/check', payload: { purpose: 'marketing', contact: 'a@b.cn' } })).statusCode).toBe(401);
      const grant = (token: string) => app.inject({ method: 'POST', url: '/events/consent-granted', headers: { authorization: `Bearer ${token}` },
        payload: { subject: people.erased.id, purpose: 'marketing' } });
      expect((await grant(viewer)).statusCode).toBe(403);
      // The erased subject's consent table shows no standing consent: the refusal stands.
      const conflict = await grant(operator);
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toMatchObject({ error: { code: 'conflict' } });
      expect(conflict.body).not.toContain(people.erased.id);
    } finally {
      await app.close();
    }
  });

  it('lethe\'s schema holds no contact value and no raw id of anyone who refused', async () => {
    const tables = await rows<{ t: string }>(t.db, sql`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'lethe' AND tablename <> '__migrations'`);
    let dump = '';
    for (const { t: name } of tables) {
      const r = await rows<{ x: string | null }>(t.db, sql`SELECT string_agg(x::text, E'\n') AS x FROM lethe.${sql.identifier(name)} x`);
      dump += `${r[0]!.x ?? ''}\n`;
    }
    expect(dump).toContain('marketing'); // the dump is real: the list's purpose is in it
    for (const p of [people.withdrew, people.erased]) {
      for (const v of [p.id, p.phone, p.phone.replace(/\D/g, ''), p.email, p.email.toLowerCase(), '+8613800138000', '+8613700137000']) {
        expect(dump.includes(v), `lethe's schema holds ${v}`).toBe(false);
      }
    }
  });
});
