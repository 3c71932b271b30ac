// Erasure requests (PIPL art. 47, 50): recorded with a due date, run against every policy for
// the subject (destroy what may go, restrict what a floor keeps, keep what a hold covers), and
// answered per policy. The raw subject id lives only in the request's open scans.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Executor } from '../db/connect.ts';
import { one, qualified, rows, utcIso } from '../db/sql.ts';
import { subjectIs } from '../destroy/predicates.ts';
import { subjectRef } from '../crypto/keys.ts';
import { canonicalSubject } from '../subjects/canonical.ts';
import { NotFoundError, ConflictError, UsageError } from '../errors.ts';
import type { ServiceDeps } from '../service.ts';
import { createRun, createScan } from '../pipeline/runs.ts';
import { addWorkingDays } from './workdays.ts';
import type { ErasureStatus, ErasureView } from './types.ts';
import { toView } from './view.ts';

export interface NewErasure {
  subject: string;
  ticket: string;
  actor: string;
}

export const MAX_TICKET_LENGTH = 200;

/** Does any loaded policy govern a record of this subject, or did one ever destroy one? */
export async function subjectKnown(ctx: EngineContext, rules: Ruleset, subject: string): Promise<boolean> {
  for (const p of rules.policies) {
    const type = rules.types.baseOf(p.source, p.source.subject);
    // An id the column's type cannot hold matches nothing; any database failure is an outage, not "unknown".
    const hit = await one<{ one: number }>(ctx.db, sql`SELECT 1 AS one FROM ${qualified(p.source.schema, p.source.table)} t
      WHERE ${subjectIs(p, subject, type)} LIMIT 1`);
    if (hit) return true;
  }
  const seen = await one<{ one: number }>(ctx.db, sql`SELECT 1 AS one FROM lethe.evidence WHERE subject_ref = ${subjectRef(ctx.keys, subject)} LIMIT 1`);
  return seen !== undefined;
}

/**
 * Records the request with its due date, and the run and per-policy scans that will carry it
 * out, in one transaction. Throws UsageError (duplicate ticket, bad input) or NotFoundError
 * (a subject no policy knows); nothing is recorded then.
 */
export async function recordErasureRequest(ctx: EngineContext, rules: Ruleset, dueDays: number, req: NewErasure): Promise<string> {
  const ticket = req.ticket.trim();
  // Checked before anything else: an id in another spelling is refused, never trimmed or cast into someone.
  const subject = canonicalSubject(rules, req.subject);
  if (ticket === '' || ticket.length > MAX_TICKET_LENGTH) throw new UsageError(`the ticket must be 1 to ${MAX_TICKET_LENGTH} characters`);
  const existing = await one<{ id: string }>(ctx.db, sql`SELECT id FROM lethe.erasure_requests WHERE ticket = ${ticket}`);
  if (existing) throw new ConflictError(`duplicate ticket: "${ticket}" already belongs to erasure request ${existing.id}`);
  if (!(await subjectKnown(ctx, rules, subject))) {
    throw new NotFoundError('unknown subject: no record of this subject is governed by any loaded policy, and none was ever destroyed');
  }
  const id = `er-${randomBytes(6).toString('hex')}`;
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const runId = await createRun(tx, { kind: 'erasure', trigger: 'erasure_request', actor: req.actor, at: now });
    for (const p of rules.policies) await createScan(tx, runId, p, now, { mode: 'erasure', subject });
    await tx.execute(sql`INSERT INTO lethe.erasure_requests (id, ticket, subject_ref, status, actor, run_id, received_at, due_at)
      VALUES (${id}, ${ticket}, ${subjectRef(ctx.keys, subject)}, 'received', ${req.actor}, ${runId}, ${now}, ${addWorkingDays(now, dueDays)})`);
  }).catch((e: unknown) => {
    if ((e as { code?: string }).code === '23505') throw new ConflictError(`duplicate ticket: "${ticket}" already has an erasure request`);
    throw e;
  });
  return id;
}

/** Records the request and hands its execution to the workers (job `erase-subject`). */
export async function submitErasureRequest(deps: ServiceDeps, req: NewErasure): Promise<ErasureView> {
  const id = await recordErasureRequest(deps.ctx, deps.rules, deps.config.erasureDueDays, req);
  await deps.enqueue('erase-subject', { requestId: id }, id);
  return (await getErasureRequest(deps.ctx.db, id, deps.ctx.clock.now()))!;
}

const VIEW_COLUMNS = sql`id, ticket, subject_ref, status, outcome,
  ${utcIso(sql`received_at`)} AS received_at,
  ${utcIso(sql`due_at`)} AS due_at,
  ${utcIso(sql`completed_at`)} AS completed_at`;

export async function getErasureRequest(db: Executor, id: string, now: Date = new Date()): Promise<ErasureView | undefined> {
  const r = await one<Record<string, unknown>>(db, sql`SELECT ${VIEW_COLUMNS} FROM lethe.erasure_requests WHERE id = ${id}`);
  return r ? toView(r, now) : undefined;
}

/** One request by its id or, failing that, by its ticket (one request per ticket). */
export async function findErasureRequest(db: Executor, idOrTicket: string, now: Date = new Date()): Promise<ErasureView | undefined> {
  const r = await one<Record<string, unknown>>(db, sql`SELECT ${VIEW_COLUMNS} FROM lethe.erasure_requests
    WHERE id = ${idOrTicket} OR ticket = ${idOrTicket} ORDER BY (id = ${idOrTicket}) DESC LIMIT 1`);
  return r ? toView(r, now) : undefined;
}

export async function listErasureRequests(db: Executor, now: Date = new Date()): Promise<ErasureView[]> {
  const r = await rows<Record<string, unknown>>(db, sql`SELECT ${VIEW_COLUMNS} FROM lethe.erasure_requests ORDER BY due_at, id`);
  return r.map((x) => toView(x, now));
}

export async function setStatus(db: Executor, id: string, status: ErasureStatus, extra: { outcome?: unknown; completedAt?: Date; error?: string } = {}): Promise<void> {
  await db.execute(sql`UPDATE lethe.erasure_requests SET status = ${status},
    outcome = COALESCE(${extra.outcome === undefined ? null : JSON.stringify(extra.outcome)}::jsonb, outcome),
    completed_at = COALESCE(${extra.completedAt ?? null}, completed_at), error = ${extra.error ?? null} WHERE id = ${id}`);
}
