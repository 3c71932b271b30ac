// API tokens for `lethe serve`. Only the sha256 of a token is stored: the token itself is shown
// once, at creation, and can never be read back (a leaked database dump grants nothing).
// A token carries 256 random bits, so an unsalted hash is enough: there is nothing to guess.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.ts';
import { one, rows } from '../db/sql.ts';
import { NotFoundError, ConflictError, UsageError } from '../errors.ts';
import { requireOperatorName, samePerson } from '../operators/identity.ts';

export const ROLES = ['viewer', 'operator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_PREFIX = 'lethe_';
const TOKEN_BYTES = 32;
/** `lethe_` + 32 bytes base64url (43 characters, no padding). */
const TOKEN_SHAPE = /^lethe_[A-Za-z0-9_-]{43}$/;
/** Names appear as the actor `token:<name>` in evidence: plain words, no spaces. */
const NAME_SHAPE = /^[\p{L}\p{N}._@-]{1,64}$/u;

/** Who a verified token speaks for. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export interface NewToken {
  name: string;
  role: string;
  /** Who creates it, e.g. `operator:wang.li`. */
  actor: string;
  now?: Date;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Creates a token and returns it: the only time it exists outside the caller's hands. An active
 * token whose name is the same person's (case, width, prefixes aside) is refused, so
 * `token:<name>` in evidence names one token at a time and four eyes cannot be split in two.
 */
export async function createToken(db: Executor, t: NewToken): Promise<{ id: string; token: string }> {
  if (!NAME_SHAPE.test(t.name)) {
    throw new UsageError(`token name "${t.name}" must be 1 to 64 letters, digits, or . _ @ - (e.g. ci-bot, wang.li)`);
  }
  requireOperatorName('token name', t.name);
  if (!isRole(t.role)) throw new UsageError(`role "${t.role}" is not one of ${ROLES.join(', ')}`);
  const id = `tok-${randomBytes(6).toString('hex')}`;
  const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
  await db.transaction(async (tx) => {
    // Serialises creations so two concurrent ones cannot both pass the name check.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('lethe.api_tokens'))`);
    // Names compare as people do (src/operators/identity.ts): `Wang.Li` is taken when `wang.li` is.
    const active = await rows<{ id: string; name: string }>(tx, sql`SELECT id, name FROM lethe.api_tokens WHERE revoked_at IS NULL`);
    const taken = active.find((a) => samePerson(a.name, t.name));
    if (taken) throw new ConflictError(`an active token named "${taken.name}" exists (${taken.id}), the same name as "${t.name}" for four eyes; revoke it first or choose another name`);
    await tx.execute(sql`INSERT INTO lethe.api_tokens (id, name, role, token_hash, created_at, created_by)
      VALUES (${id}, ${t.name}, ${t.role}, ${hashToken(token)}, ${t.now ?? new Date()}, ${t.actor})`);
  });
  return { id, token };
}

/** The principal of an active token; undefined for a malformed, unknown or revoked one. */
export async function verifyToken(db: Executor, token: string): Promise<Principal | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const row = await one<{ id: string; name: string; role: string }>(db, sql`SELECT id, name, role FROM lethe.api_tokens
    WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL`);
  // A role this build does not know grants nothing.
  if (!row || !isRole(row.role)) return undefined;
  return { id: row.id, name: row.name, role: row.role };
}

/** The principal of an active token by its id (a dashboard session names its token by id). */
export async function principalById(db: Executor, id: string): Promise<Principal | undefined> {
  const row = await one<{ id: string; name: string; role: string }>(db, sql`SELECT id, name, role FROM lethe.api_tokens
    WHERE id = ${id} AND revoked_at IS NULL`);
  if (!row || !isRole(row.role)) return undefined;
  return { id: row.id, name: row.name, role: row.role };
}

export async function revokeToken(db: Executor, id: string, now: Date = new Date()): Promise<TokenView> {
  const done = await one<{ id: string }>(db, sql`UPDATE lethe.api_tokens SET revoked_at = ${now}
    WHERE id = ${id} AND revoked_at IS NULL RETURNING id`);
  const view = (await selectTokens(db, sql`WHERE id = ${id}`))[0];
  if (!view) throw new NotFoundError(`no token with id ${id} (see \`lethe tokens list\`)`);
  if (!done) throw new NotFoundError(`token ${id} was already revoked at ${view.revoked_at}`);
  return view;
}

/** Every token, revoked ones included (they explain old `token:<name>` actors). */
export function listTokens(db: Executor): Promise<TokenView[]> {
  return selectTokens(db, sql``);
}

async function selectTokens(db: Executor, where: ReturnType<typeof sql>): Promise<TokenView[]> {
  const iso = (col: string) => sql`to_char(${sql.identifier(col)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const r = await rows<Record<string, string | null>>(db, sql`SELECT id, name, role, created_by,
      ${iso('created_at')} AS created_at, ${iso('revoked_at')} AS revoked_at
    FROM lethe.api_tokens ${where} ORDER BY created_at, id`);
  return r.map((t) => ({
    id: t.id!, name: t.name!, role: t.role as Role, created_at: t.created_at!, created_by: t.created_by!, revoked_at: t.revoked_at ?? null,
  }));
}
