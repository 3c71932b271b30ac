// Every command in COMMANDS, table-driven: --help exits 0 with an example of itself, an unknown
// flag exits 2 naming the flag, and --json, where offered, prints one JSON document on stdout and
// nothing else. In-process through main() with a captured Io (a subprocess per command would cost
// ~0.5 s each); process.stdout is watched so a stray write still fails, and a few commands run as
// a subprocess too (the real bin, the real stdout).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/output.ts';
import { progressBar, progressLine } from '../../src/cli/progress.ts';
import { REDIS_URL, TEST_SECRET, createQueuePrefix, createTestDb, type TestDb } from '../helpers.ts';
import { seedSmallLender, type SmallLender } from '../fixtures/small-lender.ts';
import { runCli } from './run-cli.ts';

const POLICIES = fileURLToPath(new URL('../fixtures/retention', import.meta.url));

/** Commands without --json, and why. */
const NO_JSON: Record<string, string> = {
  worker: 'long-running; reports by log lines on stderr, there is no document to print',
  serve: 'long-running HTTP server; its machine interface is the API (GET /openapi.json)',
  'policies doc': 'its output is itself a document, in Markdown or HTML (--format)',
  'evidence export': '--format json is its machine output: the register itself, to stdout or --out',
  'suppress export': '--format json is its machine output: the list itself, to stdout or --out',
  'suppress key': 'writes a key file and never prints the key: there is no document to print',
};

/** Commands whose --json run needs a fixture another test file builds, and where it is checked. */
const JSON_ELSEWHERE: Record<string, string> = {
  demo: 'seeds an embedded PGlite and sweeps through Redis: test/cli/demo.test.ts runs `demo --json`',
  seed: 'writes the reference lender into a database of its own: test/cli/seed.test.ts runs `seed --json`',
  'tasks show': 'needs a manual destruction task (test/tasks)',
  'tasks approve': 'needs a manual destruction task (test/tasks)',
  'tasks handover': 'needs an approved destruction task (test/tasks)',
  'tasks confirm': 'needs a handed-over destruction task (test/tasks)',
  'suppress check': 'needs a policy with suppress: and a refusal: test/suppress/suppression.test.ts runs `suppress check --json`',
  'suppress lift': 'needs a refusal and a renewed consent: test/suppress/suppression.test.ts runs `suppress lift --json`',
};

interface Captured { io: Io; out: string[]; err: string[] }

function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false } };
}

/** main() in-process; any direct write to process.stdout fails the call (it would corrupt --json). */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = capture();
  const spy = vi.spyOn(process.stdout, 'write');
  try {
    const code = await main(argv, c.io);
    expect(spy, `lethe ${argv.join(' ')} wrote to process.stdout directly`).not.toHaveBeenCalled();
    return { code, stdout: c.out.join('\n'), stderr: c.err.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

const words = (name: string) => name.split(' ');

describe('every command: --help and unknown flags', () => {
  it('the exemption lists name only real commands', () => {
    const names = COMMANDS.map((c) => c.name);
    for (const n of [...Object.keys(NO_JSON), ...Object.keys(JSON_ELSEWHERE)]) expect(names).toContain(n);
  });

  for (const command of COMMANDS) {
    it(`lethe ${command.name} --help shows an example of itself`, async () => {
      const r = await run([...words(command.name), '--help']);
      expect(r.code).toBe(0);
      const examples = r.stdout.split(/^Examples?:$/m)[1];
      expect(examples, 'an "Examples:" section').toBeDefined();
      // `lethe <name>`, as typed: optionally after `npx` and environment assignments.
      const self = new RegExp(`^ {2}(?:[A-Z_]+=\\S+ +)*(?:npx )?lethe ${command.name}(?: |$)`, 'm');
      expect(examples).toMatch(self);
      if (!NO_JSON[command.name]) expect(r.stdout, 'usage names --json').toMatch(/\[--json\]/);
    });

    it(`lethe ${command.name} --no-such-flag exits 2 naming the flag`, async () => {
      const r = await run([...words(command.name), '--no-such-flag']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--no-such-flag');
      expect(r.stdout).toBe('');
    });
  }
});

describe('--json prints one JSON document and nothing else', () => {
  let t: TestDb;
  let q: ReturnType<typeof createQueuePrefix>;
  let lender: SmallLender;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDb('cli-commands');
    q = createQueuePrefix('cli-commands');
    lender = await seedSmallLender(t.db, new Date());
    vi.stubEnv('DATABASE_URL', t.url);
    vi.stubEnv('REDIS_URL', REDIS_URL);
    vi.stubEnv('LETHE_SECRET', TEST_SECRET);
    vi.stubEnv('LETHE_QUEUE_PREFIX', q.prefix);
    vi.stubEnv('LETHE_POLICIES', POLICIES);
    vi.stubEnv('LETHE_PARTNERS', fileURLToPath(new URL('./no-partners.yaml', import.meta.url)));
    vi.stubEnv('LETHE_OPERATOR', 'wang.li');
    vi.stubEnv('LOG_LEVEL', 'silent');
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await q?.cleanup();
    await t?.drop();
  });

  // In order: later steps use ids earlier ones printed. `exit` lists the codes the state allows.
  const steps: { name: string; args: () => string[]; exit?: number[]; keep?: (doc: Record<string, unknown>) => void; env?: Record<string, string> }[] = [
    { name: 'migrate', args: () => [] },
    { name: 'policies check', args: () => ['--db'] },
    { name: 'policies coverage', args: () => [], exit: [0, 1] },
    { name: 'plan', args: () => [] },
    { name: 'hold add', args: () => ['--subject', lender.customers.held, '--reason', 'litigation'], keep: (d) => { ids.hold = d.id as string; } },
    { name: 'hold list', args: () => [] },
    { name: 'hold release', args: () => [ids.hold!, '--reason', 'closed'] },
    { name: 'purge request', args: () => ['--policy', 'rejected-loan-applications', '--reason', 'backlog'], keep: (d) => { ids.purge = (d.id ?? (d.request as { id: string }).id) as string; } },
    { name: 'purge approve', args: () => [ids.purge!], env: { LETHE_OPERATOR: 'zhao.min' } },
    { name: 'purge list', args: () => [] },
    { name: 'sweep', args: () => [] },
    { name: 'erase', args: () => ['--subject', lender.customers.plain, '--ticket', 'CS-1'], keep: (d) => { ids.erasure = (d.id ?? (d.request as { id: string }).id) as string; } },
    { name: 'erase list', args: () => [] },
    { name: 'erase show', args: () => [ids.erasure!] },
    { name: 'partners status', args: () => [] },
    { name: 'objects status', args: () => [] },
    { name: 'partners terminate-sync', args: () => [] },
    { name: 'tasks list', args: () => [] },
    { name: 'evidence verify', args: () => [] },
    { name: 'evidence find', args: () => ['--subject', lender.customers.plain] },
    { name: 'evidence prune', args: () => ['--dry-run'] },
    { name: 'evidence keygen', args: () => [] },
    { name: 'report', args: () => ['--from', '2020-01-01', '--to', '2030-01-01'] },
    { name: 'tokens create', args: () => ['--name', 'cli-json', '--role', 'viewer'], keep: (d) => { ids.token = d.id as string; } },
    { name: 'tokens list', args: () => [] },
    { name: 'tokens revoke', args: () => [ids.token!] },
  ];

  it('every command is run here, exempt (NO_JSON) or run elsewhere (JSON_ELSEWHERE)', () => {
    const covered = new Set([...steps.map((s) => s.name), ...Object.keys(NO_JSON), ...Object.keys(JSON_ELSEWHERE)]);
    expect(COMMANDS.map((c) => c.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  for (const step of steps) {
    it(`lethe ${step.name} --json`, async () => {
      for (const [k, v] of Object.entries(step.env ?? {})) vi.stubEnv(k, v);
      try {
        const r = await run([...words(step.name), ...step.args(), '--json']);
        expect(step.exit ?? [0], r.stderr).toContain(r.code);
        const doc = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(typeof doc).toBe('object');
        step.keep?.(doc);
      } finally {
        vi.stubEnv('LETHE_OPERATOR', 'wang.li');
      }
    }, 60_000);
  }

  it('as a subprocess: stdout is exactly one JSON document', async () => {
    const env = { DATABASE_URL: t.url, LETHE_SECRET: TEST_SECRET, LETHE_POLICIES: POLICIES, LOG_LEVEL: 'debug', REDIS_URL, LETHE_QUEUE_PREFIX: q.prefix };
    for (const argv of [['plan', '--json'], ['hold', 'list', '--json'], ['migrate', '--json']]) {
      const r = await runCli(argv, env);
      expect(r.code, r.stderr).toBe(0);
      expect(() => JSON.parse(r.stdout), argv.join(' ')).not.toThrow();
    }
  }, 60_000);
});

describe('sweep progress on a terminal', () => {
  it('draws a bar over one line on a TTY, nothing elsewhere', () => {
    expect(progressBar(0, 0)).toBe('[------------------------] 0/0');
    expect(progressBar(3, 12, 12)).toBe('[###---------]  3/12');
    expect(progressBar(23, 24)).toBe('[#######################-] 23/24');
    expect(progressBar(12, 12, 12)).toBe('[############] 12/12');
    const drawn: string[] = [];
    const tty: Io = { out: () => {}, err: () => {}, isTTY: true, progress: (s) => drawn.push(s) };
    const line = progressLine(tty, true);
    line.update('a');
    line.update('b');
    line.end();
    expect(drawn).toEqual(['\ra\x1b[K', '\rb\x1b[K', '\n']);
    const piped = progressLine({ ...tty, isTTY: false }, true);
    piped.update('a');
    piped.end();
    const json = progressLine(tty, false);
    json.update('a');
    expect(drawn).toHaveLength(3);
  });
});
