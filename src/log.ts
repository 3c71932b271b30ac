import { pino, type Logger } from 'pino';
import { prettyStream } from './log-pretty.ts';
import { DEFAULT_TIME_ZONE } from './time.ts';

export type { Logger };

export interface LogOptions {
  /** `pretty` on a terminal by default (src/log-pretty.ts), `json` otherwise. */
  format?: 'json' | 'pretty' | undefined;
  /** The zone of the time a pretty line shows (LETHE_TIMEZONE); JSON lines carry UTC. */
  timeZone?: string;
}

/**
 * Logs go to stderr (stdout is for the command's output and `--json`). lethe never logs
 * business values: only lethe's own ids, policy ids, counts and pseudonymous refs.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, opts: LogOptions = {}): Logger {
  const options = { level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime };
  const pretty = (opts.format ?? (process.stderr.isTTY ? 'pretty' : 'json')) === 'pretty';
  if (!pretty) return pino(options, pino.destination(2));
  return pino(options, prettyStream(process.stderr, opts.timeZone ?? DEFAULT_TIME_ZONE, Boolean(process.stderr.isTTY)));
}

export const silentLogger: Logger = pino({ level: 'silent' });

interface PgLike {
  code: string;
  constraint?: string;
  table?: string;
  message?: string;
  /** The server function that raised it: `exec_stmt_raise` for a PL/pgSQL RAISE (any SQLSTATE). */
  routine?: string;
}

/**
 * The PostgreSQL error inside `e`, if any: drizzle wraps driver errors (DrizzleQueryError,
 * "Failed query: <sql> params: <values>") with the driver's error as `cause`.
 */
export function databaseError(e: unknown): PgLike | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const c = cur as { code?: unknown; cause?: unknown };
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code)) return c as PgLike;
    cur = c.cause;
  }
  return undefined;
}

/** Something whose message or stack may carry SQL parameters (business keys): never log those. */
export function carriesQueryText(e: unknown): boolean {
  return databaseError(e) !== undefined || (e instanceof Error && (e.name === 'DrizzleQueryError' || e.message.startsWith('Failed query:')));
}

const NAME = '"[^"]*"';
/**
 * Server messages lethe knows the wording of, by SQLSTATE: they name tables, columns and
 * constraints, never a value (PostgreSQL puts values in `detail`, which is never kept). Any
 * other message — a lender trigger's RAISE, an extension's, a wording of a newer server — is
 * text lethe does not control and may carry a name or a phone number: it is withheld.
 */
const KNOWN_MESSAGES: Record<string, RegExp> = {
  '23502': new RegExp(`^null value in column ${NAME}( of relation ${NAME})? violates not-null constraint$`),
  '23503': new RegExp(`^(update or delete on table ${NAME} violates foreign key constraint ${NAME} on table ${NAME}|insert or update on table ${NAME} violates foreign key constraint ${NAME})$`),
  '23505': new RegExp(`^duplicate key value violates unique constraint ${NAME}$`),
  '23514': new RegExp(`^(new row for relation ${NAME} violates check constraint ${NAME}|check constraint ${NAME} of relation ${NAME} is violated by some row)$`),
  '23P01': new RegExp(`^conflicting key value violates exclusion constraint ${NAME}$`),
  '40001': /^could not serialize access due to (concurrent update|concurrent delete|read\/write dependencies among transactions)$/,
  '40P01': /^deadlock detected$/,
  '55P03': new RegExp(`^could not obtain lock on (row in )?relation ${NAME}$`),
  '57014': /^canceling statement due to (statement timeout|lock timeout|user request)$/,
  '57P01': /^terminating connection due to administrator command$/,
  '25P02': /^current transaction is aborted, commands ignored until end of transaction block$/,
  '42P01': new RegExp(`^relation ${NAME} does not exist$`),
  '42703': new RegExp(`^column ${NAME} (of relation ${NAME} )?does not exist$`),
  '42501': /^permission denied for (table|relation|schema|sequence|function) [\w.]+$/,
  '53300': /^(sorry, too many clients already|too many connections for role "[^"]*")$/,
  '53200': /^out of memory$/,
};

/** Raised by PL/pgSQL (RAISE, ASSERT): the text is whatever the function's author wrote. */
const RAISED_BY_CODE = new Set(['exec_stmt_raise', 'exec_stmt_assert']);

function serverMessage(err: PgLike): string {
  const message = err.message ?? '';
  if (err.routine !== undefined && RAISED_BY_CODE.has(err.routine)) return 'message withheld: raised by a trigger or function in the database, its text may carry personal data';
  if (KNOWN_MESSAGES[err.code]?.test(message)) return message;
  // Data exceptions (class 22) quote the offending input ("invalid input syntax … \"abc\""): mask quotes.
  if (err.code.startsWith('22') && err.routine !== undefined) return message.replace(/"[^"]*"/g, '"…"').replace(/\(.*?\)=\(.*?\)/g, '(…)');
  return 'message withheld: its wording is not one lethe knows to be free of values';
}

/**
 * An error as it may be logged or stored (logs, Redis failed-job reasons, lethe.batches.error,
 * an erasure request's error): for database errors the SQLSTATE, constraint and table and either
 * a server message lethe knows the wording of or a generic one; never the driver's `detail`
 * (`Key (id)=(4711) is still referenced`), drizzle's query parameters, or a trigger's own text.
 */
export function describeError(e: unknown): string {
  const err = databaseError(e);
  if (err) {
    const parts = [`PostgreSQL error ${err.code}`];
    if (err.constraint) parts.push(`constraint ${err.constraint}`);
    if (err.table) parts.push(`table ${err.table}`);
    parts.push(serverMessage(err));
    return parts.join(': ');
  }
  if (carriesQueryText(e)) return 'DrizzleQueryError: a database statement failed (parameters withheld)';
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
