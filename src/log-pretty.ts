// pino's JSON lines made readable for a person at a terminal: one line per event, local time,
// level, message, then the fields that matter first (policy, records, ms) as key=value. JSON
// stays the format for files, pipes and log collectors (LOG_FORMAT=json forces it anywhere).
import { Writable } from 'node:stream';
import { localTime } from './time.ts';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Shown first, in this order; the rest follow as they come. */
const FIRST = ['policy', 'records', 'ms'];
/** pino's own keys, and ids a person does not read at a glance. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'jobId']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function value(v: unknown): string {
  if (typeof v === 'string') return UUID.test(v) ? `${v.slice(0, 8)}…` : /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(',');
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** One JSON line from pino as one readable line (the input back, unchanged, if it is not JSON). */
export function prettyLine(line: string, timeZone: string, colour: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof o.level === 'number' ? o.level : 30;
  const label = LEVELS[level] ?? String(level);
  const time = typeof o.time === 'string' || typeof o.time === 'number' ? localTime(new Date(o.time), timeZone, { seconds: true }).slice(11, 19) : '';
  const keys = [...FIRST.filter((k) => k in o), ...Object.keys(o).filter((k) => !FIRST.includes(k) && !HIDDEN.has(k))];
  const fields = keys.map((k) => `${k}=${value(o[k])}`).join(' ');
  const tag = colour ? `\x1b[${COLOURS[level] ?? '0'}m${label}\x1b[0m` : label;
  return `${time} ${tag} ${String(o.msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/** A stream pino writes to: formats each line and passes it on to `out` (stderr). */
export function prettyStream(out: NodeJS.WritableStream, timeZone: string, colour: boolean): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) out.write(prettyLine(line, timeZone, colour));
      done();
    },
  });
}
