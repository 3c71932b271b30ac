// Issue #12, item 6: an unsigned export whose range was narrowed and whose newest records (and
// their seals) were cut used to verify: a shorter chain is still a chain. The head at the end of
// a JSON export says what it holds, under an HMAC of the evidence key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { TEST_SECRET } from '../helpers.ts';
import { buildWorld, type World } from './register-world.ts';

let w: World;
let dir: string;
let file: string;
const offline = { LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };

interface Doc { format: string; range: { from: string | null; to: string | null }; runs: { run_id: string; policies: { records: number; child_rows: number }[] }[]; seals: { batch_id: string; sealed_at: string }[]; records: { seq: number; batch_id: string; run_id: string; table: string; occurred_at: string }[]; head: Record<string, unknown> }

async function verify(doc: Doc, name: string): Promise<{ code: number | null; json: { ok: boolean; first_broken: { reason: string } | null } }> {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  const r = await runCli(['evidence', 'verify', '--from-file', path, '--json'], offline);
  return { code: r.code, json: JSON.parse(r.stdout) as { ok: boolean; first_broken: { reason: string } | null } };
}

beforeAll(async () => {
  w = await buildWorld('export_head');
  dir = mkdtempSync(join(tmpdir(), 'lethe-head-'));
  file = join(dir, 'register.json');
  const r = await runCli(['evidence', 'export', '--out', file], { DATABASE_URL: w.t.url, LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' });
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => w?.t.drop());

const read = (): Doc => JSON.parse(readFileSync(file, 'utf8')) as Doc;

describe('the head of an unsigned export', () => {
  it('an export as written verifies, its head counting what it holds', async () => {
    const doc = read();
    expect(doc.format).toBe('lethe-evidence-export/2');
    expect(doc.head).toMatchObject({ records: doc.records.length, seals: doc.seals.length, range: doc.range, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await verify(doc, 'as-is.json')).json).toMatchObject({ ok: true, first_broken: null });
  });

  it('the newest batch cut (records, seal and register line) and the range narrowed: broken', async () => {
    const doc = read();
    const newest = doc.seals.at(-1)!;
    const cut = doc.records.filter((r) => r.batch_id === newest.batch_id);
    expect(cut.length).toBeGreaterThan(0);
    doc.seals = doc.seals.slice(0, -1);
    doc.records = doc.records.filter((r) => r.batch_id !== newest.batch_id);
    // Make the register agree with what is left, as a careful forger would.
    for (const run of doc.runs) {
      const n = cut.filter((r) => r.run_id === run.run_id).length;
      if (n > 0) run.policies[0]!.records -= n;
    }
    doc.runs = doc.runs.filter((run) => run.policies.some((p) => p.records + p.child_rows > 0));
    doc.range = { from: null, to: newest.sealed_at };
    const { code, json } = await verify(doc, 'cut.json');
    expect(code).toBe(1);
    expect(json.first_broken!.reason).toMatch(/range was changed|seals were cut|records were cut/);
  });

  it('the head removed, or its counts edited: broken', async () => {
    const doc = read();
    const { head, ...bare } = doc;
    expect((await verify(bare as Doc, 'no-head.json')).json.first_broken!.reason).toContain('the export has no head');
    const edited = { ...doc, head: { ...head, records: Number(head.records) - 1 } };
    expect((await verify(edited, 'edited-head.json')).json.first_broken!.reason).toContain('does not match its MAC');
  });

  it('downgraded to the first layout without a signature: refused', async () => {
    const { head: _head, ...bare } = read();
    const { code, json } = await verify({ ...bare, format: 'lethe-evidence-export/1' } as Doc, 'v1.json');
    expect(code).toBe(1);
    expect(json.first_broken!.reason).toContain('has no head');
  });
});
