import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { closest, didYouMean } from './suggest.ts';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface Parsed {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Strict flags: an unknown or malformed flag is a usage error naming it and the allowed ones. */
export function parseFlags(command: string, argv: string[], spec: FlagSpec, maxPositionals = 0): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...spec, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    const allowed = Object.keys(spec).map((k) => `--${k}`);
    const raw = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const msg = raw.charAt(0).toLowerCase() + raw.slice(1);
    const unknown = /^Unknown option '(-[^']*)'/.exec(raw)?.[1];
    const hint = unknown ? didYouMean(closest(unknown.replace(/=.*$/, ''), allowed)) : '';
    throw new UsageError(`lethe ${command}: ${msg}.${hint}\nAllowed flags: ${allowed.join(', ') || '(none)'} (npx lethe ${command} --help)`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`lethe ${command}: unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return { flags: parsed.values as Parsed['flags'], positionals: parsed.positionals };
}

export function requireString(command: string, flags: Parsed['flags'], name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`lethe ${command}: --${name} is required`);
  return v;
}

export function optionalString(flags: Parsed['flags'], name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function parseInstant(command: string, flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new UsageError(`lethe ${command}: --${flag} "${value}" is not an ISO 8601 date or time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`);
  }
  return d;
}

/** A whole-number flag within [min, max]; `fallback` when absent. Exponents, signs and fractions are refused. */
export function wholeNumber(command: string, flag: string, text: string | undefined, range: { min: number; max: number; fallback: number }): number {
  if (text === undefined) return range.fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < range.min || n > range.max) {
    throw new UsageError(`lethe ${command}: --${flag} "${text}" must be a whole number from ${range.min} to ${range.max}`);
  }
  return n;
}
