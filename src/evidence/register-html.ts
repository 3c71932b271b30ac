// The destruction register as one standalone, printable page: inline style, no script, no
// external asset, every value escaped. A4 when printed; each run starts on a new page. It is a
// Chinese record (会计档案管理办法 art. 17), so its headings are Chinese with the English
// beside; times are in LETHE_TIMEZONE with the offset written out (the JSON export keeps UTC).
import { escapeHtml } from '../policy/doc-html.ts';
import { DESTRUCTION_ACTIONS, type RegisterLine, type RegisterRun } from './register.ts';
import { DEFAULT_TIME_ZONE, localTime } from '../time.ts';

export const REGISTER_TITLE = '个人信息销毁登记 Destruction register';

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
th .zh { white-space: nowrap; }
th .en, h2 .en, h1 .en { display: block; font-weight: normal; color: #555; font-size: .85em; }
h2 .en, h1 .en, .facts th .en { display: inline; margin-left: .4em; }
.facts th { width: 9rem; white-space: nowrap; }
.other { color: #555; }
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
/** A heading in Chinese with its English beside (fixed text, never a value). */
const zh = (chinese: string, english: string) => `<span class="zh">${chinese}</span><span class="en">${english}</span>`;

function line(l: RegisterLine, day: (iso: string | null) => string): string {
  const owed = [l.retain_owed ? `retain ${l.retain_owed}${l.clock ? ` from ${l.clock}` : ''}` : null, l.minimum_owed ? `minimum ${l.minimum_owed}${l.minimum_kind ? ` (${l.minimum_kind})` : ''}` : null]
    .filter((x) => x !== null).join('; ');
  return `<tr data-policy="${e(l.policy_id)}" data-action="${e(l.action)}"${DESTRUCTION_ACTIONS.has(l.action) ? '' : ' class="other"'}><td>${e(l.policy_id)}<br><code>${e(l.policy_version.slice(0, 12))}</code></td>`
    + `<td>${e(l.category)}</td><td>${e(l.classification)}</td><td>${e(l.trigger)}</td><td>${e(l.action)}${l.de_identification ? ` <span class="note">(${e(l.de_identification)}: not anonymous)</span>` : ''}<br><code>${e(l.table)}</code></td>`
    + `<td class="n records">${l.records}${l.pruned > 0 ? `<br><span class="note pruned">${l.pruned} pruned</span>` : ''}</td><td class="n children">${l.child_rows}</td>`
    + `<td>${owed ? escapeHtml(owed) : '—'}${l.basis.length ? `<br><span class="note basis">${l.basis.map(escapeHtml).join('<br>')}</span>` : ''}</td>`
    + `<td>${e(l.served_at_least_per_rule)}${l.clock_started_on_or_before ? `<br><span class="note">clock started on or before ${day(l.clock_started_on_or_before)}</span>` : ''}</td>`
    + `<td>${day(l.first_occurred_at)}${l.first_occurred_at !== l.last_occurred_at ? `<br>– ${day(l.last_occurred_at)}` : ''}</td></tr>`;
}

function run(r: RegisterRun, day: (iso: string | null) => string): string {
  const facts: [string, string][] = [
    [zh('执行编号', 'run'), `<code>${e(r.run_id)}</code>`], [zh('类型', 'kind'), e(r.kind)], [zh('触发', 'trigger'), e(r.trigger)], [zh('状态', 'status'), e(r.status)],
    [zh('开始', 'started'), day(r.started_at)], [zh('结束', 'finished'), day(r.finished_at)], [zh('执行人', 'executed by'), e(r.executed_by)],
    [zh('审批人', 'approved by'), r.approved_by === null ? '— (no approval: scheduled or operator-started run)' : e(r.approved_by)],
    ...(r.kind === 'task' ? [[zh('监销人', 'witnessed by'), r.witnessed_by ? e(r.witnessed_by) : '— (not confirmed yet)'] as [string, string]] : []),
  ];
  const other = r.other_records > 0
    ? `另有 <span class="run-other">${r.other_records}</span> 条其他记录 · ${r.other_records} other evidence record${r.other_records === 1 ? '' : 's'} of this run (deferrals, partner notices, task steps, files), on lines of their own above, not counted as records destroyed`
    : '';
  return [
    `<section class="run" data-run="${e(r.run_id)}">`,
    `<h2>执行 ${e(r.run_id.slice(0, 8))} · ${e(r.kind)} · 销毁 <span class="run-records">${r.records}</span> 条记录、<span class="run-children">${r.child_rows}</span> 条关联行`
      + `<span class="en">run ${e(r.run_id.slice(0, 8))}: ${r.records} records destroyed, ${r.child_rows} child rows</span></h2>`,
    // Two facts a row: the run's facts fit in a few lines of the printed page.
    `<table class="facts">${facts.map(([k, v], i) => `${i % 2 === 0 ? '<tr>' : ''}<th>${k}</th><td>${v}</td>${i % 2 === 1 || i === facts.length - 1 ? '</tr>' : ''}`).join('')}</table>`,
    `<table class="lines"><thead><tr><th>${zh('规则（版本）', 'policy (version)')}</th><th>${zh('数据类别', 'category')}</th><th>${zh('级别', 'class')}</th>`
    + `<th>${zh('触发条件', 'trigger')}</th><th>${zh('方式（表）', 'how (table)')}</th><th class="n">${zh('记录数', 'records')}</th><th class="n">${zh('关联行', 'child rows')}</th>`
    + `<th>${zh('应保存期限', 'retention owed')}</th><th>${zh('已保存期限', 'retention served (at least, per rule)')}</th><th>${zh('时间', 'when')}</th></tr></thead>`,
    `<tbody>${r.policies.map((l) => line(l, day)).join('\n')}</tbody></table>`,
    other ? `<p class="note">${other}.</p>` : '',
    '</section>',
  ].filter(Boolean).join('\n');
}

export interface RegisterMeta {
  from: Date | undefined;
  to: Date | undefined;
  now: Date;
  /** LETHE_TIMEZONE; default Asia/Shanghai. */
  timeZone?: string | undefined;
}

export function renderRegisterHtml(runs: readonly RegisterRun[], meta: RegisterMeta): string {
  const zone = meta.timeZone ?? DEFAULT_TIME_ZONE;
  const day = (iso: string | null) => (iso === null ? '—' : escapeHtml(localTime(iso, zone, { seconds: true })));
  const records = runs.reduce((s, r) => s + r.records, 0);
  const childRows = runs.reduce((s, r) => s + r.child_rows, 0);
  const other = runs.reduce((s, r) => s + r.other_records, 0);
  const period = `${meta.from ? day(meta.from.toISOString()) : 'the first record'} to ${meta.to ? `${day(meta.to.toISOString())} (exclusive)` : 'the last record'}`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${REGISTER_TITLE}</title><style>${STYLE}</style></head>
<body>
<header>
<h1>个人信息销毁登记<span class="en">Destruction register</span></h1>
<p class="meta">期间 Period: ${period} · 生成于 generated ${day(meta.now.toISOString())} by lethe (times in ${escapeHtml(zone)}) ·
<span id="total-runs">${runs.length}</span> 次执行 runs, 销毁 <span id="total-records">${records}</span> 条记录 records destroyed,
<span id="total-children">${childRows}</span> 条关联行 child rows, <span id="total-other">${other}</span> 条其他记录 other evidence records.</p>
<p class="note">依据《会计档案管理办法》第十七条：销毁的内容（规则、类别、表）、数量、应保存与已保存期限、时间、方式、执行人与审批人。
After 会计档案管理办法 art. 17: what (policy, category, table), how many, retention owed (the policy version's
retain and statutory minimum) and served, when, how, executed by, approved by. "Records" counts what was destroyed or
anonymised; the other evidence of a run (a deferral under a statutory floor, a partner notified or confirming, a
destruction task's steps, a file deleted from object storage) is listed on its own lines and counted apart. Evidence
holds no values of the destroyed data, so a record's exact age is not known: "served" is what the rule guarantees —
lethe destroys a record only once its retention has run since its clock — and the latest instant its clock can have
started. Subjects and records appear in the JSON and CSV exports as keyed pseudonyms only. Evidence is pruned after three
years (PIPL art. 56); the register lines of what was pruned are kept permanently (会计档案管理办法), marked "pruned": the
count stays, the per-record rows went.</p>
</header>
${runs.length === 0 ? '<p>本期间无销毁。No destruction in this period.</p>' : runs.map((r) => run(r, day)).join('\n')}
</body></html>
`;
}
