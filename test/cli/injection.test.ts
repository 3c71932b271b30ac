// SQL injection through every value an operator hands the CLI: subject ids, reasons, tickets,
// policy ids, hold and request ids, dates. Each payload is refused (exit 2, a message for the
// operator) or stored and used literally; no command fails with a database error, and every
// lender table and row is still there. Identifiers never get this far: the loader refuses them
// (test/policy/load.property.test.ts), which the last test checks through `policies check`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createQueuePrefix, createTestDb, REDIS_URL, TEST_SECRET, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { SQL_PAYLOADS } from '../fixtures/hostile.ts';
import { rows } from '../../src/db/sql.ts';
import { main } from '../../src/cli/main.ts';
import { runCli } from './run-cli.ts';

// argv cannot carry NUL; the HTTP edge refuses it (test/server/fuzz.property.test.ts).
const PAYLOADS = SQL_PAYLOADS.filter((p) => !p.includes('\u0000'));
const FIXTURE = 'test/fixtures/pipeline/rejected-loan-applications.yaml';

describe('hostile values through the CLI', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  let policies: string;
  let before: string;

  /** Every lender table with its row count: a dropped table or a lost row changes it. */
  const lenderState = async () => JSON.stringify(await rows(t.db, sql`SELECT c.relname AS t,
    (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text AS n
    FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`));

  async function lethe(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { out: (s) => void (out += `${s}\n`), err: (s) => void (err += `${s}\n`), isTTY: false });
    // A payload that reached SQL as text would show as a syntax or type error here.
    expect(err, `${args.join(' ')}`).not.toMatch(/PostgreSQL error|syntax error|DrizzleQueryError|internal error/);
    return { code, out, err };
  }

  beforeAll(async () => {
    t = await createTestDb('injection');
    q = createQueuePrefix('injection');
    lender = await seedSmallLender(t.db, new Date());
    // A where value that is itself a payload: matched literally, as a parameter.
    policies = await mkdtemp(join(tmpdir(), 'lethe-injection-'));
    const text = (await readFile(FIXTURE, 'utf8')).replace('status: rejected', `status: ${JSON.stringify(PAYLOADS[0])}`);
    await writeFile(join(policies, 'rejected-loan-applications.yaml'), text);
    await t.db.execute(sql`ALTER TABLE loan_applications DROP CONSTRAINT loan_applications_status_check`);
    await t.db.execute(sql`UPDATE loan_applications SET status = ${PAYLOADS[0]!} WHERE id = ${lender.dueApps[0]!}`);
    Object.assign(process.env, { DATABASE_URL: t.url, REDIS_URL, LETHE_SECRET: TEST_SECRET, LETHE_QUEUE_PREFIX: q.prefix,
      LETHE_POLICIES: policies, LOG_LEVEL: 'silent', LETHE_OPERATOR: 'injector' });
    before = await lenderState();
  });
  afterAll(async () => {
    await rm(policies, { recursive: true, force: true });
    await q.cleanup();
    await t.drop();
  });

  it('a where value is a parameter: the payload matches the one row that holds it', async () => {
    const plan = await lethe('plan', '--json');
    expect(plan.code, plan.err).toBe(0);
    expect(JSON.parse(plan.out).policies[0]).toMatchObject({ id: 'rejected-loan-applications', due: 1 });
  });

  it('subject ids, reasons and ids: refused with exit 2 or used literally, never a database error', async () => {
    // No payload is an id the bigint subject column can hold: refused by every command that takes one.
    const unheld = [2, expect.stringContaining("no loaded policy's subject column can hold this subject id")];
    for (const p of PAYLOADS) {
      const hold = await lethe('hold', 'add', '--subject', lender.customers.plain, '--reason', p, '--json');
      expect(hold.code, `${p}: ${hold.err}`).toBe(0);
      const { id } = JSON.parse(hold.out) as { id: string };
      const listed = JSON.parse((await lethe('hold', 'list', '--json')).out) as { holds: { id: string; reason: string }[] };
      expect(listed.holds.find((h) => h.id === id)?.reason, p).toBe(p);
      expect((await lethe('hold', 'release', id, '--reason', p)).code, p).toBe(0);
      expect((await lethe('hold', 'release', p, '--reason', 'x')).code, p).toBe(2);
      const heldPayload = await lethe('hold', 'add', '--subject', p, '--reason', 'x');
      expect([heldPayload.code, heldPayload.err], p).toEqual(unheld);

      const erase = await lethe('erase', '--subject', p, '--ticket', p);
      expect([erase.code, erase.err], p).toEqual(unheld);
      const purge = await lethe('purge', 'request', '--subject', p, '--reason', p);
      expect([purge.code, purge.err], p).toEqual(unheld);
      expect((await lethe('purge', 'request', '--policy', p, '--reason', 'x')).code, p).toBe(2);
      expect((await lethe('purge', 'approve', p)).code, p).toBe(2);
      expect((await lethe('erase', 'show', p)).code, p).toBe(2);

      const plan = await lethe('plan', '--subject', p, '--json');
      expect([plan.code, plan.err], p).toEqual(unheld);
      expect((await lethe('plan', '--as-of', p)).code, p).toBe(2);
      expect((await lethe('plan', '--policy', p)).code, p).toBe(2);
      expect((await lethe('evidence', 'export', '--from', p)).code, p).toBe(2);
      expect((await lethe('evidence', 'export', '--to', p)).code, p).toBe(2);
      expect((await lethe('evidence', 'find', '--subject', p)).code, p).toBe(2);
    }
    expect(await lenderState()).toBe(before);
  });

  it('a ticket is stored literally', async () => {
    const p = PAYLOADS[1]!;
    const r = await lethe('erase', '--subject', lender.customers.held, '--ticket', p, '--json');
    expect(r.code, r.err).toBe(0);
    const [stored] = await rows<{ ticket: string }>(t.db, sql`SELECT ticket FROM lethe.erasure_requests`);
    expect(stored!.ticket).toBe(p);
    const again = await lethe('erase', '--subject', lender.customers.held, '--ticket', p);
    expect([again.code, again.err]).toEqual([2, expect.stringContaining('duplicate ticket')]);
  });

  it('an identifier with a payload stops `policies check` with exit 2 at file:line:col', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lethe-injection-ident-'));
    try {
      const text = (await readFile(FIXTURE, 'utf8')).replace('table: loan_applications', 'table: "loan_applications; DROP TABLE customers; --"')
        .replace('from: decided_at', `from: 'decided_at" OR 1=1 --'`);
      await writeFile(join(dir, 'rejected-loan-applications.yaml'), text);
      const r = await runCli(['policies', 'check', '--policies', dir]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/rejected-loan-applications\.yaml:9:10: source\.table .* is not a plain table name/);
      expect(r.stderr).toMatch(/rejected-loan-applications\.yaml:16:9: trigger\.from .* is not a plain identifier/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
