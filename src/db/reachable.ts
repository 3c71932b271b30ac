// A database that cannot be reached says so, with its address and the reason, instead of
// surfacing later as "the lethe schema is missing" or a driver's stack trace.
import { sql } from 'drizzle-orm';
import { DatabaseUnavailableError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import type { Executor } from './connect.ts';

interface DriverError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  /** Node's socket errors name the port they tried. */
  port?: unknown;
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is PostgreSQL running and listening on that host and port?',
  ENOTFOUND: 'host not found: check the host name',
  EAI_AGAIN: 'host name lookup failed (DNS): check the host name and the network',
  ETIMEDOUT: 'timed out: check the host, port and any firewall in between',
  EHOSTUNREACH: 'host unreachable: check the host and the network',
  ENETUNREACH: 'network unreachable: check the host and the network',
  ECONNRESET: 'the connection was reset by the server',
};

/**
 * PostgreSQL error classes that mean "no usable connection": 08 connection exception, 28
 * invalid authorisation, 3D invalid catalog name (no such database), 53300 too many
 * connections, 57P0x shutting down or starting up. Their messages hold no business data.
 */
const CONNECTION_CODES = /^(08|28|3D|57P0|53300)/;

/** The first connection-level failure inside `e` (drizzle wraps, AggregateError lists), if any. */
function connectionFailure(e: unknown, port: number, depth = 0): { code: string; message: string } | undefined {
  if (!e || typeof e !== 'object' || depth > 4) return undefined;
  const err = e as DriverError;
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  // A refused socket on another port is another service's (Redis, a partner), not PostgreSQL's.
  if (SOCKET_REASONS[code] && (typeof err.port !== 'number' || err.port === port)) return { code, message };
  if (CONNECTION_CODES.test(code)) return { code, message };
  if (/^Connection terminated|timeout expired|connect ETIMEDOUT/i.test(message)) return { code: 'ETIMEDOUT', message };
  for (const inner of Array.isArray(err.errors) ? err.errors : []) {
    const found = connectionFailure(inner, port, depth + 1);
    if (found) return found;
  }
  return connectionFailure(err.cause, port, depth + 1);
}

function portOf(url: string): number {
  try {
    return Number(new URL(url).port || 5432);
  } catch {
    return 5432;
  }
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return redactUrl(url);
  }
}

function reason(f: { code: string; message: string }, url: string): string {
  if (SOCKET_REASONS[f.code]) return SOCKET_REASONS[f.code]!;
  if (f.code === '3D000') {
    const db = (() => { try { return decodeURIComponent(new URL(url).pathname.slice(1)); } catch { return ''; } })();
    return `${f.message}: create it (createdb ${db || 'NAME'}) or fix the database name in DATABASE_URL`;
  }
  if (f.code.startsWith('28')) return `${f.message}: check the user and password in DATABASE_URL, and pg_hba.conf`;
  return f.message || `PostgreSQL error ${f.code}`;
}

/** The error to show for a failed connection to `url`; undefined when `e` is not one. */
export function unreachable(url: string, e: unknown): DatabaseUnavailableError | undefined {
  const f = connectionFailure(e, portOf(url));
  if (!f) return undefined;
  return new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${where(url)} (DATABASE_URL): ${reason(f, url)}`, { cause: e });
}

/** Connects once, or throws DatabaseUnavailableError naming the address and what went wrong. */
export async function assertReachable(db: Executor, url: string): Promise<void> {
  try {
    await db.execute(sql`SELECT 1`);
  } catch (e) {
    throw unreachable(url, e) ?? e;
  }
}
