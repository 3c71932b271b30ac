// Signed exports and offline verification, as an auditor runs them: the CLI as a subprocess,
// the verifier with no DATABASE_URL at all. One byte changed names the record; a signature that
// does not match fails on its own.
import { mkdtempSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { runCli } from '../cli/run-cli.ts';
import { count, TEST_SECRET } from '../helpers.ts';
import { generateSigningKeys } from '../../src/evidence/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { buildWorld, SWEPT_AT, type World } from './register-world.ts';

let w: World;
let dir: string;
const keys = generateSigningKeys();
const other = generateSigningKeys();
const dbEnv = () => ({ DATABASE_URL: w.t.url, LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' });
/** What an auditor has: the file, the public key, the secret for the hashes; no database. */
const offline = (extra: Record<string, string> = {}) => ({ LETHE_SECRET: TEST_SECRET, LETHE_EXPORT_VERIFY_KEY: keys.publicKey, LOG_LEVEL: 'silent', ...extra });

interface Verified { ok: boolean; records: number; first_broken: null | { seq: number; reason: string }; signature: { status: string; message: string }; hashes: { checked: boolean; ok: boolean; message: string } }
async function verify(file: string, env: Record<string, string>): Promise<{ code: number | null; json: Verified }> {
  const r = await runCli(['evidence', 'verify', '--from-file', file, '--json'], env);
  expect(r.stderr).toBe('');
  return { code: r.code, json: JSON.parse(r.stdout) as Verified };
}

let signed: string;
beforeAll(async () => {
  w = await buildWorld('signed_export');
  dir = mkdtempSync(join(tmpdir(), 'lethe-export-'));
  signed = join(dir, 'register.json');
  const r = await runCli(['evidence', 'export', '--out', signed], { ...dbEnv(), LETHE_EXPORT_SIGNING_KEY: keys.privateKey });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`signed: ${signed}.sig`);
}, 120_000);
afterAll(async () => w?.t.drop());

describe('signed export, verified offline', () => {
  it('passes with no database: signature and every hash', async () => {
    const { code, json } = await verify(signed, offline());
    expect(code).toBe(0);
    expect(json).toMatchObject({ ok: true, first_broken: null, signature: { status: 'valid' }, hashes: { checked: true, ok: true } });
    expect(json.records).toBe(await count(w.t.db, 'lethe.evidence'));
    const human = await runCli(['evidence', 'verify', '--from-file', signed], offline());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/OK\n\s+signature valid \(Ed25519, key [0-9a-f]{16}/);
  });

  it('a one-byte change to a record fails, naming the record', async () => {
    const text = readFileSync(signed, 'utf8');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"seq"') && l.includes('"action":"delete"'));
    const seq = Number(/^\{"seq":(\d+)/.exec(lines[i]!)![1]);
    const at = lines[i]!.indexOf('"record_ref":"') + 14;
    lines[i] = lines[i]!.slice(0, at) + (lines[i]![at] === 'a' ? 'b' : 'a') + lines[i]!.slice(at + 1);
    const bad = join(dir, 'one-byte.json');
    writeFileSync(bad, lines.join('\n'));
    copyFileSync(`${signed}.sig`, `${bad}.sig`);
    expect(readFileSync(bad).length).toBe(readFileSync(signed).length);
    const { code, json } = await verify(bad, offline());
    expect(code).toBe(1);
    expect(json.first_broken).toEqual({ seq, reason: expect.stringContaining('hash mismatch') as string });
    expect(json.signature.status).toBe('file-changed');
    // Without the signature's protection the hashes alone still name it.
    const r = await runCli(['evidence', 'verify', '--from-file', bad], offline({ LETHE_EXPORT_VERIFY_KEY: '' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`hashes BROKEN at record seq ${seq}`);
  });

  it('a change that breaks the JSON still names the record it sits in', async () => {
    const text = readFileSync(signed, 'utf8');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"seq"') && l.includes('"policy_id":"'));
    const seq = Number(/^\{"seq":(\d+)/.exec(lines[i]!)![1]);
    lines[i] = lines[i]!.replace('"policy_id":"', '"policy_id:"');
    const bad = join(dir, 'broken-json.json');
    writeFileSync(bad, lines.join('\n'));
    const { code, json } = await verify(bad, offline({ LETHE_EXPORT_VERIFY_KEY: '' }));
    expect(code).toBe(1);
    expect(json.first_broken?.seq).toBe(seq);
  });

  it('a signature mismatch alone fails with a clear message, the hashes still pass', async () => {
    const wrongKey = await verify(signed, offline({ LETHE_EXPORT_VERIFY_KEY: other.publicKey }));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.json).toMatchObject({ ok: false, first_broken: null, hashes: { ok: true }, signature: { status: 'other-key' } });
    expect(wrongKey.json.signature.message).toContain(`signed by key ${keys.keyId}, LETHE_EXPORT_VERIFY_KEY is key ${other.keyId}`);

    const forged = join(dir, 'forged.json');
    copyFileSync(signed, forged);
    const sig = JSON.parse(readFileSync(`${signed}.sig`, 'utf8')) as { signature: string };
    const bytes = Buffer.from(sig.signature, 'base64');
    bytes[5] = bytes[5]! ^ 1;
    writeFileSync(`${forged}.sig`, JSON.stringify({ ...sig, signature: bytes.toString('base64') }));
    const r = await runCli(['evidence', 'verify', '--from-file', forged], offline());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('signature INVALID');
    expect(r.stdout).toContain('hashes OK');
  });

  it('reports both parts: without LETHE_SECRET only the signature is checked', async () => {
    const { code, json } = await verify(signed, offline({ LETHE_SECRET: '' }));
    expect(code).toBe(0);
    expect(json.hashes).toMatchObject({ checked: false, message: expect.stringContaining('LETHE_SECRET is not set') as string });
    expect(json.signature.status).toBe('valid');
  });

  it('a date range export verifies: the seals around it come along', async () => {
    const part = join(dir, 'erasure-only.json');
    const r = await runCli(['evidence', 'export', '--from', new Date(SWEPT_AT.getTime() + 1).toISOString(), '--out', part], { ...dbEnv(), LETHE_EXPORT_SIGNING_KEY: keys.privateKey });
    expect(r.code, r.stderr).toBe(0);
    const { code, json } = await verify(part, offline());
    expect(code, JSON.stringify(json)).toBe(0);
    expect(json.records).toBe(await count(w.t.db, 'lethe.evidence', sql`occurred_at > ${SWEPT_AT.toISOString()}::timestamptz`));
  });

  it('without a key the export is unsigned and says so; a verifier expecting a signature refuses it', async () => {
    const plain = join(dir, 'unsigned.json');
    const r = await runCli(['evidence', 'export', '--out', plain], dbEnv());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('not signed: LETHE_EXPORT_SIGNING_KEY is not set');
    expect(existsSync(`${plain}.sig`)).toBe(false);
    expect((await verify(plain, offline({ LETHE_EXPORT_VERIFY_KEY: '' }))).json).toMatchObject({ ok: true, signature: { status: 'absent' } });
    const expecting = await verify(plain, offline());
    expect(expecting.code).toBe(1);
    expect(expecting.json.signature.message).toContain('no signature');
  });

  it('signs csv and html exports too (their hashes are not checked: no seals)', async () => {
    for (const format of ['csv', 'html']) {
      const f = join(dir, `register.${format}`);
      expect((await runCli(['evidence', 'export', '--format', format, '--out', f], { ...dbEnv(), LETHE_EXPORT_SIGNING_KEY: keys.privateKey })).code).toBe(0);
      const { code, json } = await verify(f, offline());
      expect(code).toBe(0);
      expect(json).toMatchObject({ signature: { status: 'valid' }, hashes: { checked: false } });
      writeFileSync(f, `${readFileSync(f, 'utf8')} `);
      expect((await verify(f, offline())).code).toBe(1);
    }
  });
});

describe('export keys in the environment', () => {
  it('a malformed key stops the program with one line naming the variable, never the value', async () => {
    expect(() => loadConfig({}, { LETHE_EXPORT_SIGNING_KEY: 'not-a-key' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { LETHE_EXPORT_SIGNING_KEY: keys.publicKey })).toThrow(/^LETHE_EXPORT_SIGNING_KEY must be an Ed25519 private key/);
    expect(() => loadConfig({}, { LETHE_EXPORT_VERIFY_KEY: 'AAAA' })).toThrow(/^LETHE_EXPORT_VERIFY_KEY /);
    const pem = `-----BEGIN PRIVATE KEY-----\n${keys.privateKey}\n-----END PRIVATE KEY-----\n`;
    expect(loadConfig({}, { LETHE_EXPORT_SIGNING_KEY: pem }).exportSigningKey?.asymmetricKeyType).toBe('ed25519');
    const r = await runCli(['evidence', 'export'], { ...dbEnv(), LETHE_EXPORT_SIGNING_KEY: other.publicKey });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('LETHE_EXPORT_SIGNING_KEY');
    expect(r.stderr).not.toContain(other.publicKey);
  });

  it('keygen prints a usable pair', async () => {
    const r = await runCli(['evidence', 'keygen', '--json'], {});
    expect(r.code).toBe(0);
    const pair = JSON.parse(r.stdout) as { signing_key: string; verify_key: string; key_id: string };
    const cfg = loadConfig({}, { LETHE_EXPORT_SIGNING_KEY: pair.signing_key, LETHE_EXPORT_VERIFY_KEY: pair.verify_key });
    expect(cfg.exportSigningKey?.type).toBe('private');
    expect(cfg.exportVerifyKey?.type).toBe('public');
    expect(pair.key_id).toMatch(/^[0-9a-f]{16}$/);
  });
});
