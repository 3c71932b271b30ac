import type { Command } from './index.ts';
import { optionalString, parseFlags, wholeNumber } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { assertRedisAnswers } from '../../pipeline/queues.ts';
import { runDemo, DEMO_CUSTOMERS, type DemoReport } from '../../demo/demo.ts';
import { registry } from '../../../jobs/index.ts';
import { printJson, table, type Io } from '../output.ts';
import { localDate } from '../../time.ts';
import { countsTable } from './common.ts';

export const demoCommand: Command = {
  help: `Usage: lethe demo [--customers N] [--json]

Seeds a synthetic consumer lender (--customers, default ${DEMO_CUSTOMERS}, their loan applications,
documents, device events…) into an embedded PGlite database under ./.lethe/ — never into
DATABASE_URL, which it leaves alone even when set —, places a legal hold, shows the plan, runs one sweep through the real
BullMQ pipeline (Redis at REDIS_URL) with the policies in ./policies, verifies the evidence
chain and prints what was destroyed, held and kept. Each run starts from a fresh database.
The rejected applications' and the marketing profiles' destruction also notifies partners:
reference partners on 127.0.0.1 (registry in ./.lethe/partners.yaml, the policies copied to
./.lethe/policies with \`partners: notify\` added to the rejected applications; the marketing
policy has it already) receive signed purge requests and confirm them.

Examples:
  npx lethe demo
  npx lethe demo --customers 500 --json`,
  async run(args, io) {
    const { flags } = parseFlags('demo', args, { json: { type: 'boolean' }, customers: { type: 'string' } });
    const customers = parseCustomers(optionalString(flags, 'customers'));
    const cfg = loadConfig({ ignoreDatabase: true });
    await assertRedisAnswers(cfg.redisUrl);
    if (!flags.json) io.err('lethe demo: seeding a synthetic lender and sweeping it (about half a minute)…');
    // Said before anything happens, on stderr too under --json: the demo never touches that database.
    if (cfg.databaseUrlIgnored) io.err('lethe demo: DATABASE_URL is set and ignored: the demo never touches that database; it uses its own embedded one under ./.lethe/');
    const report = await runDemo(cfg, registry, createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, {}, { format: cfg.logFormat, timeZone: cfg.timeZone }), customers);
    if (flags.json) printJson(io, report);
    else printReport(io, report, cfg.timeZone);
    return report.evidence.ok && report.sweep.policies.every((p) => p.failed === 0) && report.partners.unsettled === 0 && report.partners.failed === 0 ? 0 : 1;
  },
};

const MAX_DEMO_CUSTOMERS = 1_000_000;

const parseCustomers = (text: string | undefined): number => wholeNumber('demo', 'customers', text, { min: 1, max: MAX_DEMO_CUSTOMERS, fallback: DEMO_CUSTOMERS });

function erasureLines(r: DemoReport, zone: string): string[] {
  const e = r.erasure;
  if (!e) return [];
  return [
    `Then a customer asked for erasure (PIPL art. 47), ticket ${e.ticket}: ${e.status}, due ${localDate(e.due_at, zone)}.`,
    table(['policy', 'destroyed', 'anonymised', 'deferred (restricted)', 'until', 'held'],
      e.policies.map((p) => [p.policy, p.destroyed, p.anonymised, p.deferred, p.until ? localDate(p.until, zone) : p.deferred > 0 ? 'floor not started' : '', p.held])),
    'Reply to the customer:',
    e.reply ?? '',
    '',
  ];
}

function partnerLines(r: DemoReport): string[] {
  const p = r.partners;
  return [
    `Partners ${p.partners.join(' and ')} (reference partners on ${new URL(p.endpoint).hostname}) had received some of the destroyed applications and marketing profiles:`,
    `partner requests sent ${p.requests}, confirmed ${p.confirmed}, failed ${p.failed}${p.unsettled > 0 ? `, still unsettled ${p.unsettled}` : ''} (signed, each confirmed by a signed receipt; see \`lethe partners status\`).`,
    '',
  ];
}

function objectLines(r: DemoReport): string[] {
  if (r.objects.length === 0) return [];
  const sum = (k: 'deleted' | 'absent' | 'pending' | 'failed') => r.objects.reduce((a, s) => a + s[k], 0);
  return [
    `Files in object storage (a local S3 server on loopback): ${sum('deleted')} deleted with their records (${sum('absent')} already absent: the demo never uploaded the application documents), ${sum('pending')} pending, ${sum('failed')} failed (\`lethe objects status\`). One evidence record each, with the store and an object ref, never the key.`,
    table(['store', 'bucket', 'files before', 'files after', 'gone'], r.objects.map((s) => [s.store, s.bucket, s.uploaded, s.left, s.uploaded - s.left])),
    '',
  ];
}

function printReport(io: Io, r: DemoReport, zone: string): void {
  const destroyed = r.sweep.policies.reduce((a, p) => a + p.destroyed, 0);
  const anonymised = r.sweep.policies.reduce((a, p) => a + p.anonymised, 0);
  const children = r.sweep.policies.reduce((a, p) => a + p.children, 0);
  const held = r.sweep.policies.reduce((a, p) => a + p.held, 0);
  io.out([
    `lethe demo — ${r.database}${r.databaseUrlIgnored ? ' (DATABASE_URL is set and was not touched)' : ''}`,
    r.secretSource === 'generated' ? 'LETHE_SECRET was not set: the demo made one and keeps it in .lethe/secret (never use it in production).' : 'Using LETHE_SECRET from the environment.',
    '',
    `Seeded: ${Object.entries(r.seeded).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    r.heldSubject ? `A legal hold was placed on one customer with rejected applications past their retention.` : '',
    '',
    'Plan (before the sweep):',
    countsTable(r.plan, 'plan'),
    '',
    `Sweep ${r.sweep.runId}:`,
    countsTable(r.sweep.policies, 'sweep'),
    '',
    'Records per table (kept = not yet due, held, deferred or outside every policy):',
    table(['table', 'before', 'after', 'gone'], r.kept.map((k) => [k.table, k.before, k.after, k.before - k.after])),
    '',
    `Destroyed ${destroyed} records and ${children} child rows, anonymised ${anonymised}, kept ${held} under a legal hold.`,
    '',
    ...objectLines(r),
    ...erasureLines(r, zone),
    ...partnerLines(r),
    `Evidence: ${r.evidence.records} records, chain ${r.evidence.ok ? 'verified intact' : 'BROKEN'}. One of them (no personal data, refs are keyed pseudonyms):`,
    JSON.stringify(r.sample, null, 2),
    '',
    'Next, on PostgreSQL (the README\'s "Use it on your database"): createdb lender_trial, then with DATABASE_URL pointing at it',
    '`npx lethe seed`, `npx lethe migrate`, `npx lethe policies check --db`, `npx lethe plan`, `npx lethe sweep`, `npx lethe worker`, `npx lethe serve`.',
  ].filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n'));
}
