// Times people read are local (LETHE_TIMEZONE, default Asia/Shanghai) with the offset written
// out; a bad zone is refused where it is given.
import { describe, expect, it } from 'vitest';
import { isTimeZone, localDate, localTime, offsetOf } from '../src/time.ts';
import { loadConfig } from '../src/config.ts';
import { replyText } from '../src/erasure/reply.ts';

describe('local time', () => {
  it('21:36 UTC is the next morning in Beijing; the offset is written out', () => {
    expect(localTime('2026-12-02T21:36:05Z', 'Asia/Shanghai')).toBe('2026-12-03 05:36 +08:00');
    expect(localTime(new Date('2026-12-02T21:36:05Z'), 'Asia/Shanghai', { seconds: true })).toBe('2026-12-03 05:36:05 +08:00');
    expect(localDate('2026-12-02T21:36:05Z', 'Asia/Shanghai')).toBe('2026-12-03');
    expect(localDate('2026-12-02T21:36:05Z', 'UTC')).toBe('2026-12-02');
    expect(localTime('2026-07-01T12:00:00Z', 'Europe/Berlin')).toBe('2026-07-01 14:00 +02:00');
    expect(offsetOf('2026-01-01T00:00:00Z', 'Asia/Kolkata')).toBe('+05:30');
    expect(localTime('not a time', 'UTC')).toBe('not a time');
  });

  it('LETHE_TIMEZONE: an IANA zone, default Asia/Shanghai; anything else stops the program naming it', () => {
    expect(loadConfig({}, {}).timeZone).toBe('Asia/Shanghai');
    expect(loadConfig({}, { LETHE_TIMEZONE: 'UTC' }).timeZone).toBe('UTC');
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(() => loadConfig({}, { LETHE_TIMEZONE: 'Beijing' })).toThrow('LETHE_TIMEZONE must be an IANA time zone, e.g. Asia/Shanghai or UTC');
    expect(() => loadConfig({}, { LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT must be json or pretty');
  });

  it('the reply to a data subject dates in Beijing: a request at 21:36 UTC was made the next day there', () => {
    const reply = replyText('CS-9', '2026-12-02T21:36:00.000Z', []);
    expect(reply).toContain('您于 2026-12-03 提交');
  });
});
