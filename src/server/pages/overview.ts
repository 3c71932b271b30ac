// The retention overview as one server-rendered page: inline style and SVG, no script, no
// external asset, every value escaped. A person should see at a glance whether the lender is on
// time — what is due now, which erasure requests near their deadline, what holds, purges,
// tasks, partners and files wait on someone — and get from there to each list and to the queue
// dashboard. Times and days are in LETHE_TIMEZONE, with the offset written out.
import { escapeHtml as esc } from '../../policy/doc-html.ts';
import type { Overview, PolicyOverview } from '../../overview/overview.ts';
import type { Forecast } from '../../overview/forecast.ts';
import { addDays } from '../../overview/history.ts';
import { localDate, localTime } from '../../time.ts';
import { DASHBOARD_PREFIX } from '../roles.ts';
import { attr, erasureSection, hasObjects, holdsSection, n, objectsSection, partnersSection, purgesSection, section, tasksSection } from './overview-work.ts';

const STYLE = `
body { font: 14px/1.5 -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #1a1a1a; max-width: 76rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; } h3 { font-size: 1rem; }
a { color: #1f5fa8; } a.top { font-size: .75rem; font-weight: normal; margin-left: .5rem; }
.muted { color: #666; } .status { padding: .5rem .75rem; border-radius: 4px; display: inline-block; margin: .5rem 0; }
.ok { background: #e6f4ea; color: #1e4620; } .late { background: #fdecea; color: #611a15; } .status a { color: inherit; }
header .links { float: right; margin-top: .3rem; } header .links a { margin-left: 1rem; }
nav { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0 1rem; }
nav a { text-decoration: none; border: 1px solid #ccd; border-radius: 999px; padding: .15rem .65rem; color: #1a1a1a; background: #f7f8fa; }
nav a.attention { border-color: #e0a3a0; background: #fdecea; } nav b { font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: middle; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } td.warn, .warn { color: #b3261e; font-weight: 600; }
.badge { font-size: .75rem; padding: .05rem .4rem; border-radius: 3px; } .badge.late { background: #fdecea; color: #b3261e; font-weight: 600; } .badge.soon { background: #fff4e0; color: #8a5300; }
svg { display: block; } .bar { fill: #3b6ea5; } .fbar { fill: #c77c02; } .axis { stroke: #999; stroke-width: 1; } svg text { font-size: 10px; fill: #555; }
`;

const n0 = n;

/** The `days` days ending with `now`'s day in the zone, oldest first. */
function pastDays(now: Date, zone: string, days: number): string[] {
  const today = localDate(now, zone);
  return Array.from({ length: days }, (_, i) => addDays(today, -(days - 1 - i)));
}

/** From `now`'s day to the day of `now + days`, oldest first. */
function comingDays(now: Date, zone: string, days: number): string[] {
  const today = localDate(now, zone);
  return Array.from({ length: days + 1 }, (_, i) => addDays(today, i));
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

interface NavItem { id: string; label: string; count?: number; attention?: boolean }

function nav(items: NavItem[]): string {
  return `<nav aria-label="sections">${items.map((i) => `<a href="#${i.id}"${i.attention ? ' class="attention"' : ''}>${esc(i.label)}${i.count === undefined ? '' : ` <b>${n0(i.count)}</b>`}</a>`).join('')}</nav>`;
}

export function renderOverviewHtml(o: Overview): string {
  const due = o.policies.reduce((s, p) => s + p.due, 0);
  const partnerLate = o.partners.overdue.length;
  const tasksLate = o.tasks.filter((t) => t.overdue).length;
  const erasureLate = o.work.erasure.filter((r) => r.sla === 'overdue').length;
  const erasureSoon = o.work.erasure.filter((r) => r.sla === 'due_soon').length;
  const objectsPending = o.work.objects.reduce((s, c) => s + c.pending, 0);
  const objectsFailed = o.work.objects.reduce((s, c) => s + c.failed, 0);
  const destroyedTotal = o.destroyed.reduce((s, d) => s + d.total, 0);
  const behind = [
    due > 0 ? `<a href="#policies"><span id="total-due">${n(due)}</span> ${due === 1 ? 'record' : 'records'} due now</a> (the next sweep destroys them or puts them into tasks)` : '',
    erasureLate > 0 ? `<a href="#erasure-requests"><span id="total-erasure-overdue">${n(erasureLate)}</span> erasure ${erasureLate === 1 ? 'request' : 'requests'} overdue</a>` : '',
    partnerLate > 0 ? `<a href="#partner-requests"><span id="total-overdue">${n(partnerLate)}</span> partner ${partnerLate === 1 ? 'request' : 'requests'} overdue</a>` : '',
    tasksLate > 0 ? `<a href="#destruction-tasks"><span id="tasks-overdue">${n(tasksLate)}</span> destruction ${tasksLate === 1 ? 'task' : 'tasks'} overdue</a>` : '',
    objectsFailed > 0 ? `<a href="#files"><span id="objects-failed">${n(objectsFailed)}</span> file ${objectsFailed === 1 ? 'deletion' : 'deletions'} failed</a>` : '',
  ].filter(Boolean);
  const status = behind.length === 0
    ? '<div class="status ok" id="status">On time: nothing is due, and no erasure request, partner request, task or file deletion is late.</div>'
    : `<div class="status late" id="status">Behind: ${behind.join('; ')}.</div>`;
  const past = pastDays(o.now, o.timeZone, o.days);
  const bars = o.destroyed.map((d) => ({ day: d.day, count: d.total, title: `${d.day}: ${d.total} (${Object.entries(d.byPolicy).map(([p, c]) => `${p} ${c}`).join(', ')})` }));
  const coming = comingDays(o.now, o.timeZone, o.days);
  const items: NavItem[] = [
    { id: 'policies', label: 'Policies: due now', count: due, attention: due > 0 },
    { id: 'erasure-requests', label: `Erasure requests${erasureLate > 0 ? ' overdue' : erasureSoon > 0 ? ' due soon' : ' open'}`, count: erasureLate || erasureSoon || o.work.erasure.length, attention: erasureLate > 0 },
    { id: 'legal-holds', label: 'Legal holds', count: o.work.holds.length },
    { id: 'purges-awaiting', label: 'Purges awaiting approval', count: o.work.purges.length, attention: o.work.purges.length > 0 },
    { id: 'destruction-tasks', label: 'Destruction tasks', count: o.tasks.length, attention: tasksLate > 0 },
    { id: 'partner-requests', label: 'Partner requests overdue', count: partnerLate, attention: partnerLate > 0 },
    ...(hasObjects(o) ? [{ id: 'files', label: 'Files to delete', count: objectsPending, attention: objectsFailed > 0 }] : []),
    { id: 'destroyed', label: 'Destroyed per day' },
    { id: 'expiries', label: 'Expiries to come' },
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>lethe · retention overview</title><style>${STYLE}</style></head><body id="top">
<header><span class="links"><a href="${DASHBOARD_PREFIX}/" id="queues-link">Queue dashboard</a><a href="/docs">API</a><a href="/logout">Log out</a></span>
<h1>Retention overview</h1><div class="muted">as of <time id="now" datetime=${attr(o.now.toISOString())}>${esc(localTime(o.now, o.timeZone))}</time> (${esc(o.timeZone)})</div></header>
${status}
${nav(items)}
${section('policies', 'Policies', `<table id="policies-table"><tr><th>policy</th><th>action</th><th>clock</th><th class="n">in scope</th><th class="n">kept</th><th class="n">due</th><th class="n">held</th><th class="n">deferred</th><th class="n">restricted</th></tr>
${o.policies.map(policyRow).join('\n')}</table>
<p class="muted">kept = in scope and not due now (not yet expired, held, deferred by a statutory floor, restricted, or already in a destruction task); due = what the next sweep destroys (paper and media: puts into tasks).</p>`)}
${section('erasure-requests', 'Erasure requests by deadline', erasureSection(o))}
${section('legal-holds', 'Legal holds', holdsSection(o))}
${section('purges-awaiting', 'Manual purges awaiting approval', purgesSection(o))}
${section('destruction-tasks', 'Paper and media destruction tasks', tasksSection(o))}
${section('partner-requests', 'Partner requests', partnersSection(o))}
${hasObjects(o) ? section('files', 'Files in object storage to delete', objectsSection(o)) : ''}
${section('destroyed', `Destroyed per day, last ${n(o.days)} days: <span id="destroyed-total">${n(destroyedTotal)}</span> records and child rows`,
    barChart('destroyed-chart', 'bar', past, bars, 120, `records destroyed or anonymised per day, last ${o.days} days`))}
${section('expiries', `Expiries in the next ${n(o.days)} days`, `<p class="muted">When each record's retention ends (clock + retain); a statutory floor or a hold can keep it longer.</p>
<table id="forecast"><tr><th>policy</th><th class="n">records</th><th>per day</th></tr>${o.forecast.map((f) => forecastRow(f, coming)).join('\n')}</table>`)}
<p class="muted">Read-only. The queues behind this are on the <a href="${DASHBOARD_PREFIX}/">queue dashboard</a>; Prometheus reads <code>/metrics</code>.</p>
</body></html>
`;
}
