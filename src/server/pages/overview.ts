// The retention overview as one server-rendered page: inline style and SVG, no script, no
// external asset, every value escaped. A person should see at a glance whether the lender is on
// time: what is due now, what was destroyed lately, what comes next, which partners are late.
import { escapeHtml as esc } from '../../policy/doc-html.ts';
import type { Overview, PolicyOverview } from '../../overview/overview.ts';
import type { Forecast } from '../../overview/forecast.ts';
import { DAY_MS, dayKey, utcDay } from '../../overview/history.ts';

const STYLE = `
body { font: 14px/1.5 -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #1a1a1a; max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.muted { color: #666; } .status { padding: .5rem .75rem; border-radius: 4px; display: inline-block; margin: .5rem 0; }
.ok { background: #e6f4ea; color: #1e4620; } .late { background: #fdecea; color: #611a15; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: middle; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } td.warn { color: #b3261e; font-weight: 600; }
svg { display: block; } .bar { fill: #3b6ea5; } .fbar { fill: #c77c02; } .axis { stroke: #999; stroke-width: 1; } svg text { font-size: 10px; fill: #555; }
`;

const n = (v: number) => String(v);
const attr = (v: string) => `"${esc(v)}"`;

/** The `days` UTC days ending with `now`'s day, oldest first. */
function pastDays(now: Date, days: number): string[] {
  const last = utcDay(now).getTime();
  return Array.from({ length: days }, (_, i) => dayKey(new Date(last - (days - 1 - i) * DAY_MS)));
}

/** From `now`'s day to the day of `now + days`, oldest first. */
function comingDays(now: Date, days: number): string[] {
  const first = utcDay(now).getTime();
  return Array.from({ length: days + 1 }, (_, i) => dayKey(new Date(first + i * DAY_MS)));
}

interface Bar { day: string; count: number; title: string }

/** A bar chart over fixed day slots; only days with a count get a bar. */
function barChart(id: string, cls: string, slots: string[], bars: Bar[], height: number, label: string): string {
  const w = 8;
  const top = 14;
  const width = slots.length * w;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const index = new Map(slots.map((d, i) => [d, i]));
  const rects = bars.filter((b) => b.count > 0 && index.has(b.day)).map((b) => {
    const h = Math.max(1, Math.round((b.count / max) * (height - top)));
    return `<rect class=${attr(cls)} x="${index.get(b.day)! * w + 1}" y="${height - h}" width="${w - 2}" height="${h}" data-day=${attr(b.day)} data-count="${n(b.count)}"><title>${esc(b.title)}</title></rect>`;
  });
  return `<svg id=${attr(id)} role="img" aria-label=${attr(label)} width="${width}" height="${height + 14}" viewBox="0 0 ${width} ${height + 14}">`
    + `<text x="0" y="10">max ${n(max)}/day</text>`
    + rects.join('')
    + `<line class="axis" x1="0" y1="${height}" x2="${width}" y2="${height}"/>`
    + `<text x="0" y="${height + 12}">${esc(slots[0]!)}</text><text x="${width}" y="${height + 12}" text-anchor="end">${esc(slots[slots.length - 1]!)}</text></svg>`;
}

function policyRow(p: PolicyOverview): string {
  const cell = (cls: string, v: number, warn = false) => `<td class="n ${cls}${warn && v > 0 ? ' warn' : ''}">${n(v)}</td>`;
  return `<tr data-policy=${attr(p.id)}><td><code>${esc(p.id)}</code><br><span class="muted">${esc(p.title)}</span></td>`
    + `<td>${esc(p.action)}</td><td>${esc(p.trigger)}, ${esc(p.retain)}</td>`
    + cell('in-scope', p.inScope) + cell('kept', p.kept) + cell('due', p.due, true) + cell('held', p.held)
    + cell('deferred', p.deferred) + cell('restricted', p.restricted) + '</tr>';
}

function forecastRow(f: Forecast, slots: string[]): string {
  const chart = f.forecastable
    ? barChart(`forecast-${f.policy}`, 'fbar', slots, Object.entries(f.days).map(([day, count]) => ({ day, count, title: `${day}: ${count} ${f.policy}` })), 40, `expiries of ${f.policy}`)
    : '<span class="muted">consent-triggered: the clock starts when the subject withdraws</span>';
  return `<tr data-policy=${attr(f.policy)}><td><code>${esc(f.policy)}</code></td><td class="n forecast-total">${f.forecastable ? n(f.total) : '–'}</td><td>${chart}</td></tr>`;
}

function objectsSection(o: Overview): string {
  if (o.objects.length === 0) return '<p class="muted" id="objects-none">No files in object storage to delete.</p>';
  const rowsHtml = o.objects.map((s) => `<tr data-store=${attr(s.store)}><td>${esc(s.store)}</td><td class="n${s.pending > 0 ? ' warn' : ''}">${n(s.pending)}</td>`
    + `<td class="n">${s.pending > 0 ? `${n(Math.round(s.oldest_pending_seconds / 60))} min` : ''}</td><td class="n">${n(s.deleted)}</td><td class="n${s.failed > 0 ? ' warn' : ''}">${n(s.failed)}</td></tr>`).join('');
  return `<table id="objects"><tr><th>store</th><th class="n">pending</th><th class="n">oldest pending</th><th class="n">deleted</th><th class="n">failed</th></tr>${rowsHtml}</table>`;
}

function partnersSection(o: Overview): string {
  const { partners, overdue } = o.partners;
  if (partners.length === 0) return '<p class="muted" id="partners-none">No partner requests.</p>';
  const counts = partners.map((p) => `<tr data-partner=${attr(p.partner)}><td>${esc(p.partner)}</td><td class="n">${n(p.pending)}</td><td class="n">${n(p.sent)}</td>`
    + `<td class="n">${n(p.confirmed)}</td><td class="n">${n(p.failed)}</td><td class="n overdue${p.overdue > 0 ? ' warn' : ''}">${n(p.overdue)}</td></tr>`).join('');
  const late = overdue.map((r) => `<tr><td>${esc(r.partner)}</td><td><code>${esc(r.request_id)}</code></td><td>${esc(r.deadline)}</td><td>${esc(r.overdue_for)}</td><td class="n">${n(r.reminders)}</td></tr>`).join('');
  return `<table id="partners"><tr><th>partner</th><th class="n">pending</th><th class="n">sent</th><th class="n">confirmed</th><th class="n">failed</th><th class="n">overdue</th></tr>${counts}</table>`
    + (overdue.length > 0 ? `<h3>Overdue requests</h3><table id="partners-overdue"><tr><th>partner</th><th>request</th><th>deadline</th><th>overdue for</th><th class="n">reminders</th></tr>${late}</table>` : '');
}

function tasksSection(o: Overview): string {
  if (o.tasks.length === 0) return '<p class="muted" id="tasks-none">No paper or media destruction task to do.</p>';
  const row = (t: Overview['tasks'][number]) => `<tr data-task=${attr(t.id)}><td><code>${esc(t.id)}</code></td><td><code>${esc(t.policy)}</code></td><td>${esc(t.method)}</td>`
    + `<td>${esc(t.status.replace('_', ' '))}</td><td class="n">${n(t.lines.open)}</td><td>${esc(t.due_by)}</td><td class="overdue${t.overdue ? ' warn' : ''}">${t.overdue ? esc(t.overdue_for ?? '') : ''}</td></tr>`;
  return `<table id="tasks"><tr><th>task</th><th>policy</th><th>method</th><th>status</th><th class="n">lines</th><th>due by</th><th>overdue for</th></tr>${o.tasks.map(row).join('')}</table>`;
}

export function renderOverviewHtml(o: Overview): string {
  const due = o.policies.reduce((s, p) => s + p.due, 0);
  const overdue = o.partners.overdue.length;
  const tasksOverdue = o.tasks.filter((t) => t.overdue).length;
  const destroyedTotal = o.destroyed.reduce((s, d) => s + d.total, 0);
  const onTime = due === 0 && overdue === 0 && tasksOverdue === 0;
  const status = onTime
    ? '<div class="status ok" id="status">On time: nothing is due and no partner request is overdue.</div>'
    : `<div class="status late" id="status">Behind: ${[due > 0 ? `<span id="total-due">${n(due)}</span> records due now (the next sweep destroys them)` : '',
      overdue > 0 ? `<span id="total-overdue">${n(overdue)}</span> partner requests overdue` : '',
      tasksOverdue > 0 ? `<span id="tasks-overdue">${n(tasksOverdue)}</span> destruction tasks overdue` : ''].filter(Boolean).join('; ')}.</div>`;
  const past = pastDays(o.now, o.days);
  const bars = o.destroyed.map((d) => ({ day: d.day, count: d.total, title: `${d.day}: ${d.total} (${Object.entries(d.byPolicy).map(([p, c]) => `${p} ${c}`).join(', ')})` }));
  const coming = comingDays(o.now, o.days);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>lethe · retention overview</title><style>${STYLE}</style></head><body>
<h1>Retention overview</h1><div class="muted">as of <time id="now">${esc(o.now.toISOString())}</time></div>
${status}
<h2>Policies</h2>
<table id="policies"><tr><th>policy</th><th>action</th><th>clock</th><th class="n">in scope</th><th class="n">kept</th><th class="n">due</th><th class="n">held</th><th class="n">deferred</th><th class="n">restricted</th></tr>
${o.policies.map(policyRow).join('\n')}</table>
<p class="muted">kept = in scope and not due now (not yet expired, held, deferred by a statutory floor, or restricted); due = what the next sweep destroys.</p>
<h2>Destroyed per day, last ${n(o.days)} days: <span id="destroyed-total">${n(destroyedTotal)}</span> records and child rows</h2>
${barChart('destroyed-chart', 'bar', past, bars, 120, `records destroyed or anonymised per day, last ${o.days} days`)}
<h2>Expiries in the next ${n(o.days)} days</h2>
<p class="muted">When each record's retention ends (clock + retain); a statutory floor or a hold can keep it longer.</p>
<table id="forecast"><tr><th>policy</th><th class="n">records</th><th>per day</th></tr>${o.forecast.map((f) => forecastRow(f, coming)).join('\n')}</table>
<h2>Files in object storage</h2>
${objectsSection(o)}
<h2>Partner requests</h2>
${partnersSection(o)}
<h2>Paper and media destruction tasks</h2>
${tasksSection(o)}
</body></html>
`;
}
