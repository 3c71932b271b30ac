// Times for people: in LETHE_TIMEZONE (default Asia/Shanghai), with the offset written out, so
// 21:36 UTC reads as the next morning in Beijing. Machine output (--json, the API, evidence)
// stays in UTC ISO 8601.

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Whether `zone` is an IANA time zone this Node knows (e.g. Asia/Shanghai, UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function parts(at: Date, zone: string): Record<string, string> {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
    });
    formats.set(zone, f);
  }
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

const toDate = (at: Date | string): Date => (at instanceof Date ? at : new Date(at));

/** `+08:00`, `+00:00`: the zone's offset at that instant. */
export function offsetOf(at: Date | string, zone: string): string {
  const name = parts(toDate(at), zone).timeZoneName ?? 'GMT';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] ?? '00'}` : '+00:00';
}

/** `2026-12-03 05:36 +08:00` (seconds with `seconds: true`). */
export function localTime(at: Date | string, zone: string, opts: { seconds?: boolean } = {}): string {
  const d = toDate(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const p = parts(d, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${opts.seconds ? `:${p.second}` : ''} ${offsetOf(d, zone)}`;
}

/** `2026-12-03`: the calendar day in the zone. */
export function localDate(at: Date | string, zone: string): string {
  const d = toDate(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const p = parts(d, zone);
  return `${p.year}-${p.month}-${p.day}`;
}
