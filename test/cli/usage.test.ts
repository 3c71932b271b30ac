// What a person sees when they get the command line slightly wrong, or ask it what it is: a
// typo suggests the command or flag in a few lines, a group alone lists its commands, help and
// --version answer, an error names its command once, and a database that cannot be reached is
// named with the reason. In-process through main() where the table is all that matters; the
// real bin where start-up or the process is what is tested.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { main } from '../../src/cli/main.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { closest, editDistance } from '../../src/cli/suggest.ts';
import type { Io } from '../../src/cli/output.ts';
import { ADMIN_URL, dbUrl } from '../db-names.ts';
import { TEST_SECRET } from '../helpers.ts';
import { ROOT, runCli } from './run-cli.ts';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
  const code = await main(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const lines = (s: string) => s.trim().split('\n');

describe('typos suggest what was meant, in at most 6 lines', () => {
  const cases: [string[], string][] = [
    [['pln'], 'lethe plan'],
    [['swep'], 'lethe sweep'],
    [['wokrer'], 'lethe worker'],
    [['hold', 'ad'], 'lethe hold add'],
    [['hodl', 'list'], 'lethe hold list'],
    [['evidence', 'verfy'], 'lethe evidence verify'],
    [['erase', 'lst'], 'lethe erase list'],
    [['polices', 'check'], 'lethe policies check'],
  ];
  for (const [argv, meant] of cases) {
    it(`lethe ${argv.join(' ')} → ${meant}`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`Did you mean \`${meant}\``);
      expect(lines(r.stderr).length).toBeLessThanOrEqual(6);
    });
  }

  it('nothing close: says so and points at --help, still short', async () => {
    const r = await run(['destroy-everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "destroy-everything"');
    expect(r.stderr).not.toContain('Did you mean');
    expect(lines(r.stderr).length).toBeLessThanOrEqual(6);
  });

  it('a mistyped flag names the flag meant, and the allowed ones', async () => {
    for (const [argv, meant] of [[['plan', '--polcy', 'x'], '--policy'], [['sweep', '--jsn'], '--json'], [['hold', 'add', '--subjet', '1'], '--subject']] as const) {
      const r = await run([...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Did you mean \`${meant}\``);
      expect(r.stderr).toMatch(/Allowed flags: /);
      expect(lines(r.stderr).length).toBeLessThanOrEqual(6);
    }
  });

  it('edit distance counts a swap of neighbours as one edit; far words are not suggested', () => {
    expect(editDistance('wokrer', 'worker')).toBe(1);
    expect(editDistance('pln', 'plan')).toBe(1);
    expect(closest('xyz', ['plan', 'sweep'])).toEqual([]);
    expect(closest('evid', ['evidence', 'erase'])).toEqual(['evidence']);
  });
});

describe('groups, help and version', () => {
  it('a group alone lists its commands (exit 2), with --help on stdout (exit 0)', async () => {
    const bare = await run(['hold']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^lethe hold: which one\?/);
    for (const c of ['hold add', 'hold release', 'hold list']) expect(bare.stderr).toContain(c);
    expect(bare.stderr).not.toContain('tokens create');
    const help = await run(['hold', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('hold release');
  });

  it('every group a command name starts with answers alone', async () => {
    const groups = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!));
    for (const g of groups) {
      const r = await run([g, '--help']);
      expect(r.code, g).toBe(0);
      // A group that is also a command (`erase`) shows the command's help, then its group.
      expect(r.stdout, g).toMatch(COMMANDS.some((c) => c.name === g) ? new RegExp(`^Also: lethe ${g} `, 'm') : new RegExp(`^ {2}${g} `, 'm'));
    }
  });

  it('lethe help <command> is that command\'s help; lethe help alone the overview', async () => {
    const plan = await run(['help', 'plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^Usage: lethe plan /);
    const same = await run(['plan', '--help']);
    expect(same.stdout).toBe(plan.stdout);
    const hold = await run(['help', 'hold', 'add']);
    expect(hold.stdout).toMatch(/^Usage: lethe hold add /);
    const erase = await run(['help', 'erase']);
    expect(erase.stdout).toMatch(/^Usage: lethe erase /);
    expect(erase.stdout).toContain('Also: lethe erase list, lethe erase show');
    const all = await run(['help']);
    for (const c of COMMANDS) expect(all.stdout).toContain(c.name);
    const typo = await run(['help', 'pln']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('`lethe plan`');
  });

  it('--version, -V and version print the package version', async () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^lethe ${version.replace(/\./g, '\\.')} \\(node v\\d+`));
    }
    const sub = await runCli(['--version']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain(`lethe ${version}`);
    expect(sub.stderr).toBe('');
  });
});

describe('errors name their command once', () => {
  it('a usage error: `lethe hold add: …`, not `lethe: lethe hold add: …`', async () => {
    const r = await run(['hold', 'add', '--reason', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lethe hold add: --subject is required');
  });

  it('an error without a prefix gets its command\'s', async () => {
    const r = await runCli(['plan'], { DATABASE_URL: dbUrl('lethe_no_such_database_ever'), LETHE_SECRET: TEST_SECRET });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^lethe plan: cannot connect to PostgreSQL at [^ ]+\/lethe_no_such_database_ever \(DATABASE_URL\): database "lethe_no_such_database_ever" does not exist/);
    expect(lines(r.stderr)).toHaveLength(1);
  });
});

describe('PostgreSQL unreachable: the address and the failure, never "run lethe migrate"', () => {
  it('nothing listening on the port', async () => {
    for (const argv of [['plan'], ['migrate'], ['hold', 'list'], ['policies', 'check', '--db'], ['tokens', 'list']]) {
      const r = await runCli(argv, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/lender', LETHE_SECRET: TEST_SECRET });
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr, argv.join(' ')).toContain(`lethe ${argv.filter((a) => !a.startsWith('-')).join(' ')}: cannot connect to PostgreSQL at 127.0.0.1:1/lender (DATABASE_URL): connection refused`);
      expect(r.stderr).not.toContain('migrate`');
    }
  }, 60_000);

  it('a wrong user: the server\'s reason, the password never', async () => {
    const r = await runCli(['plan'], { DATABASE_URL: `postgres://nobody_here:s3cr3t-pw@${new URL(ADMIN_URL).host}/postgres`, LETHE_SECRET: TEST_SECRET });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/role "nobody_here" does not exist|authentication failed/);
    expect(r.stderr).not.toContain('s3cr3t-pw');
  });
});

describe('migrate says what it did', () => {
  const name = `lethe_migrate_says_${process.pid}`;
  beforeAll(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
  });
  afterAll(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  it('created on an empty database, then nothing to do', async () => {
    const journal = JSON.parse(readFileSync(`${ROOT}/drizzle/meta/_journal.json`, 'utf8')) as { entries: { tag: string }[] };
    const first = await runCli(['migrate'], { DATABASE_URL: dbUrl(name) });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created the lethe schema in postgres@`);
    expect(first.stdout).toContain(`${journal.entries.length} migrations applied (latest ${journal.entries.at(-1)!.tag})`);
    const again = await runCli(['migrate', '--json'], { DATABASE_URL: dbUrl(name) });
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, created: false, applied: 0, migrations: journal.entries.length });
    const human = await runCli(['migrate'], { DATABASE_URL: dbUrl(name) });
    expect(human.stdout).toContain('is up to date');
    expect(human.stdout).toContain('nothing to do');
  }, 60_000);
});
