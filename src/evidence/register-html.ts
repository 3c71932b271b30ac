// The destruction register as one standalone, printable page: inline style, no script, no
// external asset, every value escaped. A4 when printed; each run starts on a new page.
import { escapeHtml } from '../policy/doc-html.ts';
import type { RegisterLine, RegisterRun } from './register.ts';

export const REGISTER_TITLE = 'Destruction register';

const STYLE = `
@page { size: A4; margin: 15mm 12mm; }
body { font: 13px/1.45 -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #111; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 0 0 .4rem; border-bottom: 1px solid #999; }
.meta { color: #333; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .2rem .4rem; border: 1px solid #bbb; }
th { background: #eee; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 11px/1.3 ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.note { color: #444; font-size: .9em; }
section.run { margin: 1.5rem 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5px; }
  section.run { break-before: page; page-break-before: always; margin: 0; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

const e = (v: string | number | null | undefined) => (v === null || v === undefined ? '—' : escapeHtml(String(v)));
const day = (iso: string | null) => (iso === null ? '—' : escapeHtml(iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')));

function line(l: RegisterLine): string {
  const owed = [l.retain_owed ? `retain ${l.retain_owed}${l.clock ? ` from ${l.clock}` : ''}` : null, l.minimum_owed ? `minimum ${l.minimum_owed}${l.minimum_kind ? ` (${l.minimum_kind})` : ''}` : null]
    .filter((x) => x !== null).join('; ');
  return `<tr data-policy="${e(l.policy_id)}" data-action="${e(l.action)}"><td>${e(l.policy_id)}<br><code>${e(l.policy_version.slice(0, 12))}</code></td>`
    + `<td>${e(l.category)}</td><td>${e(l.classification)}</td><td>${e(l.trigger)}</td><td>${e(l.action)}${l.de_identification ? ` <span class="note">(${e(l.de_identification)}: not anonymous)</span>` : ''}<br><code>${e(l.table)}</code></td>`
    + `<td class="n records">${l.records}${l.pruned > 0 ? `<br><span class="note pruned">${l.pruned} pruned</span>` : ''}</td><td class="n children">${l.child_rows}</td>`
    + `<td>${owed ? escapeHtml(owed) : '—'}${l.basis.length ? `<br><span class="note basis">${l.basis.map(escapeHtml).join('<br>')}</span>` : ''}</td>`
    + `<td>${e(l.served_at_least_per_rule)}${l.clock_started_on_or_before ? `<br><span class="note">clock started on or before ${day(l.clock_started_on_or_before)}</span>` : ''}</td>`
    + `<td>${day(l.first_occurred_at)}${l.first_occurred_at !== l.last_occurred_at ? `<br>– ${day(l.last_occurred_at)}` : ''}</td></tr>`;
}

function run(r: RegisterRun): string {
  const facts: [string, string][] = [
    ['run', `<code>${e(r.run_id)}</code>`], ['kind', e(r.kind)], ['trigger', e(r.trigger)], ['status', e(r.status)],
    ['started', day(r.started_at)], ['finished', day(r.finished_at)], ['executed by', e(r.executed_by)],
    ['approved by', r.approved_by === null ? '— (no approval: scheduled or operator-started run)' : e(r.approved_by)],
    ...(r.kind === 'task' ? [['witnessed by', r.witnessed_by ? e(r.witnessed_by) : '— (not confirmed yet)'] as [string, string]] : []),
  ];
  return [
    `<section class="run" data-run="${e(r.run_id)}">`,
    `<h2>Run ${e(r.run_id.slice(0, 8))} · ${e(r.kind)} · <span class="run-records">${r.records}</span> records, <span class="run-children">${r.child_rows}</span> child rows</h2>`,
    `<table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`,
    '<table class="lines"><thead><tr><th>policy (version)</th><th>category</th><th>class</th><th>trigger</th><th>how (table)</th>'
    + '<th class="n">records</th><th class="n">child rows</th><th>retention owed</th><th>retention served (at least, per rule)</th><th>when</th></tr></thead>',
    `<tbody>${r.policies.map(line).join('\n')}</tbody></table>`,
    '</section>',
  ].join('\n');
}

export interface RegisterMeta {
  from: Date | undefined;
  to: Date | undefined;
  now: Date;
}

export function renderRegisterHtml(runs: readonly RegisterRun[], meta: RegisterMeta): string {
  const records = runs.reduce((s, r) => s + r.records, 0);
  const childRows = runs.reduce((s, r) => s + r.child_rows, 0);
  const period = `${meta.from ? day(meta.from.toISOString()) : 'the first record'} to ${meta.to ? `${day(meta.to.toISOString())} (exclusive)` : 'the last record'}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${REGISTER_TITLE}</title><style>${STYLE}</style></head>
<body>
<header>
<h1>${REGISTER_TITLE} <small>销毁登记</small></h1>
<p class="meta">Period: ${period} · generated ${day(meta.now.toISOString())} by lethe ·
<span id="total-runs">${runs.length}</span> runs, <span id="total-records">${records}</span> records, <span id="total-children">${childRows}</span> child rows.</p>
<p class="note">After 会计档案管理办法 art. 17: what (policy, category, table), how many, retention owed (the policy version's
retain and statutory minimum) and served, when, how, executed by, approved by. Evidence holds no values of the destroyed
data, so a record's exact age is not known: "served" is what the rule guarantees — lethe destroys a record only once its
retention has run since its clock — and the latest instant its clock can have started. Subjects and records appear in the
JSON and CSV exports as keyed pseudonyms only. Evidence is pruned after three years (PIPL art. 56); the register lines of
what was pruned are kept permanently (会计档案管理办法), marked "pruned": the count stays, the per-record rows went.</p>
</header>
${runs.length === 0 ? '<p>No destruction in this period.</p>' : runs.map(run).join('\n')}
</body></html>
`;
}
