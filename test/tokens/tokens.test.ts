import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../helpers.ts';
import { runCli } from '../cli/run-cli.ts';
import { rows } from '../../src/db/sql.ts';
import { createToken, listTokens, revokeToken, verifyToken } from '../../src/tokens/tokens.ts';
import { NotFoundError, UsageError } from '../../src/errors.ts';

const TOKEN_RE = /lethe_[A-Za-z0-9_-]{43}/g;

describe('API tokens', () => {
  let t: TestDb;

  beforeAll(async () => {
    t = await createTestDb('tokens');
  });
  afterAll(async () => {
    await t.drop();
  });

  async function tokenRow(id: string): Promise<Record<string, unknown>> {
    const r = await rows(t.db, sql`SELECT * FROM lethe.api_tokens WHERE id = ${id}`);
    expect(r).toHaveLength(1);
    return r[0]!;
  }

  it('stores only the sha256 of a token, and verifies the token to its principal', async () => {
    const { id, token } = await createToken(t.db, { name: 'crm-feed', role: 'operator', actor: 'operator:zhao.min' });
    expect(token).toMatch(/^lethe_[A-Za-z0-9_-]{43}$/);
    const row = await tokenRow(id);
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(row.created_by).toBe('operator:zhao.min');
    // Neither the token nor its random part is anywhere in the row.
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice('lethe_'.length));
    expect(await verifyToken(t.db, token)).toEqual({ id, name: 'crm-feed', role: 'operator' });
  });

  it('rejects unknown, malformed and revoked tokens', async () => {
    const { id, token } = await createToken(t.db, { name: 'short-lived', role: 'viewer', actor: 'operator:zhao.min' });
    expect(await verifyToken(t.db, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(await verifyToken(t.db, 'not-a-token')).toBeUndefined();
    expect(await verifyToken(t.db, '')).toBeUndefined();
    const revoked = await revokeToken(t.db, id);
    expect(revoked.revoked_at).not.toBeNull();
    expect(await verifyToken(t.db, token)).toBeUndefined();
    await expect(revokeToken(t.db, id)).rejects.toThrow(/already revoked/);
    await expect(revokeToken(t.db, 'tok-000000000000')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses an unknown role, a bad name, and a second active token with the same name', async () => {
    await expect(createToken(t.db, { name: 'x', role: 'admin', actor: 'a' })).rejects.toThrow(/role "admin" is not one of viewer, operator, approver, auditor/);
    await expect(createToken(t.db, { name: 'has space', role: 'viewer', actor: 'a' })).rejects.toBeInstanceOf(UsageError);
    await createToken(t.db, { name: 'dup', role: 'viewer', actor: 'a' });
    await expect(createToken(t.db, { name: 'dup', role: 'auditor', actor: 'a' })).rejects.toThrow(/active token named "dup"/);
  });

  it('lists tokens with their state and never their hash', async () => {
    const list = await listTokens(t.db);
    expect(list.map((x) => x.name)).toEqual(expect.arrayContaining(['crm-feed', 'short-lived', 'dup']));
    expect(list.find((x) => x.name === 'short-lived')!.revoked_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(JSON.stringify(list)).not.toMatch(/[0-9a-f]{64}/);
  });

  describe('lethe tokens (CLI)', () => {
    const env = () => ({ DATABASE_URL: t.url, LETHE_OPERATOR: 'wang.li', LOG_LEVEL: 'warn' });

    it('create prints the token exactly once, with a warning to store it', async () => {
      const r = await runCli(['tokens', 'create', '--name', 'cli-bot', '--role', 'auditor'], env());
      expect(r.code).toBe(0);
      const shown = `${r.stdout}${r.stderr}`.match(TOKEN_RE) ?? [];
      expect(shown).toHaveLength(1);
      expect(r.stderr).toMatch(/store this token now; it is shown only once/);
      const principal = await verifyToken(t.db, shown[0]!);
      expect(principal).toMatchObject({ name: 'cli-bot', role: 'auditor' });
      expect((await tokenRow(principal!.id)).created_by).toBe('operator:wang.li');
    });

    it('create --json prints one JSON document with the token; list --json never shows it', async () => {
      const r = await runCli(['tokens', 'create', '--name', 'json-bot', '--role', 'viewer', '--json'], env());
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { id: string; token: string; role: string };
      expect(doc.role).toBe('viewer');
      expect(await verifyToken(t.db, doc.token)).toMatchObject({ id: doc.id });

      const l = await runCli(['tokens', 'list', '--json'], env());
      expect(l.code).toBe(0);
      const listed = JSON.parse(l.stdout) as { tokens: { id: string; name: string }[] };
      expect(listed.tokens.map((x) => x.id)).toContain(doc.id);
      expect(l.stdout).not.toMatch(TOKEN_RE);
    });

    it('revoke stops the token; revoking again or an unknown id exits 2', async () => {
      const { id, token } = await createToken(t.db, { name: 'to-revoke', role: 'operator', actor: 'a' });
      const r = await runCli(['tokens', 'revoke', id], env());
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`token ${id} (to-revoke, operator) revoked`);
      expect(await verifyToken(t.db, token)).toBeUndefined();
      const again = await runCli(['tokens', 'revoke', id], env());
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('already revoked');
      const unknown = await runCli(['tokens', 'revoke', 'tok-ffffffffffff'], env());
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('no token with id tok-ffffffffffff');
    });

    it('bad usage exits 2 and creates nothing', async () => {
      const before = (await listTokens(t.db)).length;
      const role = await runCli(['tokens', 'create', '--name', 'x', '--role', 'root'], env());
      expect(role.code).toBe(2);
      expect(role.stderr).toContain('--role "root" is not one of viewer, operator, approver, auditor');
      const name = await runCli(['tokens', 'create', '--role', 'viewer'], env());
      expect(name.code).toBe(2);
      expect(name.stderr).toContain('--name is required');
      const noDb = await runCli(['tokens', 'list'], {});
      expect(noDb.code).toBe(2);
      expect(noDb.stderr).toContain('DATABASE_URL is not set');
      expect((await listTokens(t.db)).length).toBe(before);
    });
  });
});
