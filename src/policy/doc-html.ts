// The catalogue as one standalone HTML page: inline style, no script, no external asset, every
// value escaped; each policy starts on a new printed page when it does not fit the current one.
import { DOC_LEGEND, DOC_TITLE, EVIDENCE_RETENTION, FLOOR_KIND_TEXT, keptWhileText, manualText, suppressText, type Noted, type PolicyDoc } from './doc-model.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const code = (s: string) => `<code>${escapeHtml(s)}</code>`;
/** Escaped text in which `backticked` spans become code (the legend is written that way). */
const prose = (s: string) => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');
const noted = (n: Noted) => (n.note ? `${escapeHtml(n.text)} <span class="note">${escapeHtml(n.note)}</span>` : escapeHtml(n.text));

const STYLE = `
body { font: 14px/1.5 -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1a1a1a; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; border-bottom: 1px solid #ccc; }
h2 small { font-weight: normal; color: #444; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border: 1px solid #ddd; }
th { background: #f4f4f4; white-space: nowrap; }
code { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f4f4f4; padding: 0 .2em; }
.note { color: #555; font-style: italic; }
.notes { white-space: pre-wrap; color: #333; border-left: 3px solid #ccc; padding-left: .75rem; margin: .5rem 0; }
section { margin: 2rem 0; break-inside: avoid-page; page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; font-size: 11px; } a { color: inherit; text-decoration: none; } section { margin: 1rem 0; } }
`;

function summary(docs: readonly PolicyDoc[]): string {
  const rowsOut = docs.map((d) => `<tr><td><a href="#${escapeHtml(d.id)}">${escapeHtml(d.id)}</a></td><td>${escapeHtml(d.category)}</td>`
    + `<td>${escapeHtml(d.classification.text)}</td><td>${code(d.table)}</td>`
    + `<td>${d.clock.kind === 'expiry' ? code(d.clock.column) : 'consent withdrawn'}</td>`
    + `<td>${escapeHtml(d.retain.text.split(' ')[0]!)}${d.retain.overridden ? ' (override)' : ''}${d.maximum ? ` (max ${escapeHtml(d.maximum.period.split(' ')[0]!)})` : ''}</td>`
    + `<td>${d.minimum ? `${escapeHtml(d.minimum.period.split(' ')[0]!)} (${d.minimum.kind})` : '—'}</td><td>${escapeHtml(d.action)}</td></tr>`);
  return `<table class="summary"><thead><tr><th>policy</th><th>category</th><th>class</th><th>table</th><th>clock</th><th>retain</th><th>minimum</th><th>action</th></tr></thead>\n<tbody>\n${rowsOut.join('\n')}\n</tbody></table>`;
}

function section(d: PolicyDoc): string {
  const clock = d.clock.kind === 'expiry'
    ? `expiry: ${code(d.clock.column)} (NULL: the clock has not started)`
    : `consent withdrawn: the subject's every ${code(d.clock.table)} row with ${code(`${d.clock.purposeColumn} = '${d.clock.purpose}'`)} has ${code(d.clock.withdrawnAt)} set`;
  const minimum = d.minimum
    ? `${escapeHtml(d.minimum.period)} from ${code(d.minimum.from)}${d.minimum.overridden ? ' <span class="note">set by this deployment\'s override file</span>' : ''}; ${d.minimum.kind}: ${escapeHtml(FLOOR_KIND_TEXT[d.minimum.kind])}; basis: ${d.minimum.basis.map(noted).join('; ')}${d.minimum.reason ? `; reason: ${escapeHtml(d.minimum.reason)}` : ''}`
    : 'none (no floor: an erasure request destroys at once)';
  const action = d.register ? prose(manualText(d.register, (c) => `\`${c}\``))
    : d.action === 'delete' ? 'delete'
    : `anonymise:<ul>${d.fields.map((f) => `<li>${code(f.column)} ${escapeHtml(f.strategy)}${f.note ? ` <span class="note">${escapeHtml(f.note)}</span>` : ''}</li>`).join('')}</ul>Result: ${escapeHtml(d.deidentification ?? '')}`;
  const rowsOut: [string, string][] = [
    ['category', escapeHtml(d.category)],
    ['classification', noted(d.classification)],
    ['records', `${code(d.table)}${d.where.length ? ` where ${d.where.map(code).join(' and ')}` : ' (every row)'}; key ${code(d.key)}, subject ${code(d.subject)}`],
    ['clock', clock],
    ['retain', noted(d.retain)],
    ['minimum', minimum],
    ...(d.keptWhile.length > 0 ? [['kept while', prose(keptWhileText(d, (c) => `\`${c}\``))] as [string, string]] : []),
    ['maximum', d.maximum ? `${escapeHtml(d.maximum.period)}: no retention, floor or override may keep the records longer; basis: ${d.maximum.basis.map(noted).join('; ')}` : 'none'],
    ['action', action],
    ['children', d.children.length ? `${d.children.map((c) => `${code(c.table)} by ${code(c.foreignKey)}`).join('; ')} — destroyed before the record` : 'none'],
    ['partners', d.partners ? 'notified to delete their copies' : 'not notified'],
    ...(d.suppress.length > 0 ? [['suppression', prose(suppressText(d, (c) => `\`${c}\``))] as [string, string]] : []),
    ['policy version', `${code(d.version)} (${escapeHtml(d.file)})`],
  ];
  return [
    `<section id="${escapeHtml(d.id)}">`,
    `<h2>${escapeHtml(d.id)} <small>${escapeHtml(d.title)}</small></h2>`,
    `<table>${rowsOut.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('\n')}</table>`,
    `<h3>Basis</h3><ol>${d.basis.map((b) => `<li>${noted(b)}</li>`).join('')}</ol>`,
    d.notes ? `<h3>Notes from the policy file</h3><div class="notes">${escapeHtml(d.notes)}</div>` : '',
    '</section>',
  ].filter((l) => l !== '').join('\n');
}

export function renderHtml(docs: readonly PolicyDoc[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(DOC_TITLE)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(DOC_TITLE)}</h1>
<p>Generated by <code>lethe policies doc</code> from ${docs.length} polic${docs.length === 1 ? 'y' : 'ies'}. ${prose(DOC_LEGEND[0]!)}</p>
<p>${prose(DOC_LEGEND[1]!)}</p>
${summary(docs)}
${docs.map(section).join('\n')}
<section><h2>${escapeHtml(EVIDENCE_RETENTION.title)}</h2>
${EVIDENCE_RETENTION.lines.map((l) => `<p>${prose(l)}</p>`).join('\n')}
<p><strong>Basis</strong></p><ol><li>${escapeHtml(EVIDENCE_RETENTION.basis)}</li></ol></section>
</body>
</html>
`;
}
