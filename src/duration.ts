// ISO 8601 durations (P30D, P5Y, P1Y6M, PT12H) and calendar-aware subtraction in UTC.

export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** The text as written, kept for messages and evidence. */
  iso: string;
}

const ISO_DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Parses an ISO 8601 duration; returns undefined when the text is not one. */
export function parseDuration(text: string): Duration | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  return {
    years: n(1), months: n(2), weeks: n(3), days: n(4),
    hours: n(5), minutes: n(6), seconds: n(7), iso: text,
  };
}

/** `at` minus `d`, month and year steps on the calendar (UTC), clamping to month end. */
export function subtractDuration(at: Date, d: Duration): Date {
  return shift(at, d, -1);
}

/** `at` plus `d`. */
export function addDuration(at: Date, d: Duration): Date {
  return shift(at, d, 1);
}

function shift(at: Date, d: Duration, sign: 1 | -1): Date {
  const out = new Date(at.getTime());
  const totalMonths = d.years * 12 + d.months;
  if (totalMonths !== 0) {
    const day = out.getUTCDate();
    out.setUTCDate(1);
    out.setUTCMonth(out.getUTCMonth() + sign * totalMonths);
    const lastDay = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
    out.setUTCDate(Math.min(day, lastDay));
  }
  const ms =
    (((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60_000 + d.seconds * 1000;
  return new Date(out.getTime() + sign * ms);
}

/**
 * The longest period lethe accepts in a policy or registry: no retention law asks for more,
 * and beyond a few thousand years the dates leave what PostgreSQL (and Date) can hold.
 */
export const MAX_DURATION_YEARS = 1000;

export function withinMaxDuration(d: Duration): boolean {
  return approximateDays(d) <= MAX_DURATION_YEARS * 365.25;
}

/** Approximate length in days, only for comparing two durations (retain vs minimum). */
export function approximateDays(d: Duration): number {
  return d.years * 365.25 + d.months * 30.44 + d.weeks * 7 + d.days + d.hours / 24 + d.minutes / 1440 + d.seconds / 86400;
}

/** Milliseconds, for timers: the calendar length of `d` counted from the epoch. */
export function durationMs(d: Duration): number {
  return addDuration(new Date(0), d).getTime();
}

/** PIPL art. 56: records of processing are kept at least three years; lethe's own evidence too. */
export const MIN_EVIDENCE_RETAIN_DAYS = 3 * 365;

/**
 * True when `a` can end later than `b` counted from the same instant: months and days do not
 * convert (P60M is P5Y, P1M may be 28 or 31 days), so both are laid from every month start and
 * month end of a leap cycle. For ceilings, where "about as long" is not good enough.
 */
export function mayExceed(a: Duration, b: Duration): boolean {
  for (let month = 0; month < 48; month++) {
    for (const day of [1, 28, 29, 30, 31]) {
      const start = new Date(Date.UTC(2000, month, day));
      if (addDuration(start, a).getTime() > addDuration(start, b).getTime()) return true;
    }
  }
  return false;
}
