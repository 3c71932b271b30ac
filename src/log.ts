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

/**
 * A PostgreSQL error as it may be logged or stored: code, constraint and table, never the
 * `detail` (which quotes key values, e.g. `Key (id)=(4711) is still referenced`).
 */
export function describeError(e: unknown): string {
  const err = e as { code?: string; constraint?: string; table?: string; message?: string; name?: string };
  if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    const parts = [`PostgreSQL error ${err.code}`];
    if (err.constraint) parts.push(`constraint ${err.constraint}`);
    if (err.table) parts.push(`table ${err.table}`);
    // The message text of the common errors names objects, not values; detail is omitted.
    if (err.message) parts.push(err.message.replace(/\(.*?\)=\(.*?\)/g, '(…)'));
    return parts.join(': ');
  }
  return err instanceof Error ? `${err.name}: ${err.message}` : String(e);
}
