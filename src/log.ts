import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Logs go to stderr (stdout is for the command's output and `--json`). lethe never logs
 * business values: only lethe's own ids, policy ids, counts and pseudonymous refs.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });

interface PgLike {
  code: string;
  constraint?: string;
  table?: string;
  message?: string;
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

/**
 * An error as it may be logged or stored (logs, Redis failed-job reasons, lethe.batches.error):
 * for database errors the code, constraint and table and a message with values masked; never
 * the driver's `detail` (`Key (id)=(4711) is still referenced`) nor drizzle's query parameters.
 */
export function describeError(e: unknown): string {
  const err = databaseError(e);
  if (err) {
    const parts = [`PostgreSQL error ${err.code}`];
    if (err.constraint) parts.push(`constraint ${err.constraint}`);
    if (err.table) parts.push(`table ${err.table}`);
    // Data exceptions (class 22) quote the offending input ("invalid input syntax … \"abc\""): mask quotes.
    let message = (err.message ?? '').replace(/\(.*?\)=\(.*?\)/g, '(…)');
    if (err.code.startsWith('22')) message = message.replace(/"[^"]*"/g, '"…"');
    if (message) parts.push(message);
    return parts.join(': ');
  }
  if (carriesQueryText(e)) return 'DrizzleQueryError: a database statement failed (parameters withheld)';
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
