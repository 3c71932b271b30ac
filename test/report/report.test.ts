// `lethe report`: the figures for a period, checked against the database and the seeded
// history (a hold, a sweep, an erasure answered in hours, one left open past its due date).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { buildReport } from '../../src/report/report.ts';
import { rows } from '../../src/db/sql.ts';
import { runCli } from '../cli/run-cli.ts';
import { count, TEST_SECRET } from '../helpers.ts';
import { buildWorld, ERASE_AT, SWEPT_AT, type World } from '../evidence/register-world.ts';

let w: World;
beforeAll(async () => {
  w = await buildWorld('report');
}, 60_000);
afterAll(async () => w?.t.drop());

const FROM = new Date('2026-11-01T00:00:00Z');
const TO = new Date('2027-01-01T00:00:00Z');

describe('report', () => {
  it('counts evidence per category, trigger, action and partner as the evidence table does', async () => {
    const r = await buildReport(w.t.db, { from: FROM, to: TO }, new Date('2027-02-01T00:00:00Z'));
    expect(r.evidence.total).toBe(await count(w.t.db, 'lethe.evidence'));
    for (const col of ['category', 'trigger', 'action'] as const) {
      const db = await rows<{ k: string; n: string }>(w.t.db, sql`SELECT ${sql.identifier(col)} AS k, count(*)::text AS n FROM lethe.evidence GROUP BY 1`);
      const key = { category: 'by_category', trigger: 'by_trigger', action: 'by_action' }[col] as 'by_category';
      expect(Object.fromEntries(r.evidence[key].map((c) => [c.key, c.records]))).toEqual(Object.fromEntries(db.map((d) => [d.k, Number(d.n)])));
    }
    expect(r.evidence.by_partner).toEqual([{ key: '', records: r.evidence.total }]);
    // A period before anything happened is empty.
    const before = await buildReport(w.t.db, { from: new Date('2026-01-01'), to: FROM }, new Date('2027-02-01'));
    expect(before.evidence.total).toBe(0);
    expect(before.erasure_requests.received).toBe(0);
  });

  it('erasure requests: outcome, response time in working days, overdue judged at the end of the period', async () => {
    const late = await buildReport(w.t.db, { from: FROM, to: TO }, new Date('2027-02-01T00:00:00Z'));
    expect(late.erasure_requests).toMatchObject({ received: 2, partially_deferred: 1, completed: 0, open: 1, overdue: 1,
      response_working_days: { answered: 1, median: 0, max: 0 } });
    // On the day after they arrived nothing is overdue yet.
    const early = await buildReport(w.t.db, { from: FROM, to: TO }, new Date(ERASE_AT.getTime() + 86_400_000));
    expect(early.erasure_requests.overdue).toBe(0);
    expect(early.as_of).toBe(new Date(ERASE_AT.getTime() + 86_400_000).toISOString());
  });

  it('restrictions and holds placed in the period', async () => {
    const r = await buildReport(w.t.db, { from: FROM, to: TO }, TO);
    expect(r.restrictions).toEqual({ placed: w.lender.kycFloorRunning.length, open_at_end: w.lender.kycFloorRunning.length });
    expect(r.holds).toEqual({ placed: 1, released: 0, active_at_end: 1 });
    const afterSweep = await buildReport(w.t.db, { from: new Date(SWEPT_AT.getTime() + 1), to: TO }, TO);
    expect(afterSweep.holds.placed).toBe(0);
    expect(afterSweep.holds.active_at_end).toBe(1);
  });

  it('the CLI: --json shape, human text, usage errors', async () => {
    const env = { DATABASE_URL: w.t.url, LETHE_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
    const j = await runCli(['report', '--from', FROM.toISOString(), '--to', TO.toISOString(), '--json'], env);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as { evidence: { total: number }; erasure_requests: { received: number } };
    expect(doc.evidence.total).toBe(await count(w.t.db, 'lethe.evidence'));
    expect(doc.erasure_requests.received).toBe(2);
    const h = await runCli(['report', '--from', '2026-11-01', '--to', '2027-01-01'], env);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('erasure requests received: 2');
    const bad = await runCli(['report', '--from', '2027-01-01', '--to', '2026-01-01'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to');
    expect((await runCli(['report', '--to', '2026-01-01'], env)).code).toBe(2);
  });
});
