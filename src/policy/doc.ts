// `lethe policies doc`: the catalogue of loaded policies a DPO reviews — what the deployment
// enforces, on which table, from which clock, for how long, how, and on what legal basis.
// Deterministic (no date, no absolute path) so a checked-in copy can be compared byte for byte.
import type { Policy } from './types.ts';
import { DOC_LEGEND, DOC_TITLE, EVIDENCE_RETENTION, FLOOR_KIND_TEXT, describePolicies, keptWhileText, manualText, suppressText, type Noted, type PolicyDoc } from './doc-model.ts';
import { renderHtml } from './doc-html.ts';

export type DocFormat = 'md' | 'html';
export const DOC_FORMATS: readonly DocFormat[] = ['md', 'html'];

export function renderCatalogue(policies: readonly Policy[], format: DocFormat): string {
  const docs = describePolicies(policies);
  return format === 'html' ? renderHtml(docs) : renderMarkdown(docs);
}

/** Markdown text: backslash-escapes what Markdown or a table cell would read as syntax. */
export function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|#~]/g, (ch) => `\\${ch}`).replace(/\n/g, ' ');
}

/** A code span that survives any content (identifiers here, but never trust that). */
function code(s: string): string {
  const ticks = '`'.repeat(Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${ticks}${/^`|`$/.test(s) ? ` ${s} ` : s}${ticks}`.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A fenced block longer than any run of backticks inside: the text comes out verbatim. */
function fenced(text: string): string[] {
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [`${fence}text`, ...text.split('\n'), fence];
}

const noted = (n: Noted): string => (n.note ? `${mdText(n.text)} — *${mdText(n.note)}*` : mdText(n.text));

function summaryRow(d: PolicyDoc): string {
  const cells = [
    `[${mdText(d.id)}](#${d.id})`, mdText(d.category), d.classification.text, code(d.table),
    d.clock.kind === 'expiry' ? code(d.clock.column) : 'consent withdrawn',
    `${mdText(d.retain.text.split(' ')[0]!)}${d.retain.overridden ? ' (override)' : ''}${d.maximum ? ` (max ${mdText(d.maximum.period.split(' ')[0]!)})` : ''}`,
    d.minimum ? `${mdText(d.minimum.period.split(' ')[0]!)} (${d.minimum.kind})` : '—', d.action,
  ];
  return `| ${cells.join(' | ')} |`;
}

function section(d: PolicyDoc): string[] {
  const rowsOut: [string, string][] = [
    ['title', mdText(d.title)],
    ['category', mdText(d.category)],
    ['classification', noted(d.classification)],
    ['records', `${code(d.table)}${d.where.length ? ` where ${d.where.map(code).join(' and ')}` : ' (every row)'}; key ${code(d.key)}, subject ${code(d.subject)}`],
    ['clock', d.clock.kind === 'expiry'
      ? `expiry: ${code(d.clock.column)} (NULL: the clock has not started)`
      : `consent withdrawn: the subject's every ${code(d.clock.table)} row with ${code(`${d.clock.purposeColumn} = '${d.clock.purpose}'`)} has ${code(d.clock.withdrawnAt)} set`],
    ['retain', noted(d.retain)],
    ['minimum', d.minimum
      ? `${mdText(d.minimum.period)} from ${code(d.minimum.from)}${d.minimum.overridden ? ' — *set by this deployment\'s override file*' : ''}; ${d.minimum.kind}: ${mdText(FLOOR_KIND_TEXT[d.minimum.kind])}; basis: ${d.minimum.basis.map(noted).join('; ')}${d.minimum.reason ? `; reason: ${mdText(d.minimum.reason)}` : ''}`
      : 'none (no floor: an erasure request destroys at once)'],
    ...(d.keptWhile.length > 0 ? [['kept while', keptWhileText(d, code)] as [string, string]] : []),
    ['maximum', d.maximum ? `${mdText(d.maximum.period)}: no retention, floor or override may keep the records longer; basis: ${d.maximum.basis.map(noted).join('; ')}` : 'none'],
    ['action', d.register ? manualText(d.register, code) : d.action === 'delete' ? 'delete' : `anonymise: ${d.fields.map((f) => `${code(f.column)} ${mdText(f.strategy)}${f.note ? ` (*${mdText(f.note)}*)` : ''}`).join('; ')}. Result: ${mdText(d.deidentification ?? '')}`],
    ['children', d.children.length ? `${d.children.map((ch) => `${code(ch.table)} by ${code(ch.foreignKey)}`).join('; ')} — destroyed before the record` : 'none'],
    ['partners', d.partners ? 'notified to delete their copies' : 'not notified'],
    ...(d.suppress.length > 0 ? [['suppression', suppressText(d, code)] as [string, string]] : []),
    ['policy version', `${code(d.version)} (${mdText(d.file)})`],
  ];
  const out = [`## ${mdText(d.id)}`, '', '| | |', '|---|---|', ...rowsOut.map(([k, v]) => `| ${k} | ${v} |`), '', '**Basis**', ''];
  d.basis.forEach((b, i) => out.push(`${i + 1}. ${noted(b)}`));
  if (d.notes) out.push('', '**Notes from the policy file**', '', ...fenced(d.notes));
  out.push('');
  return out;
}

function evidenceSection(): string[] {
  return [`## ${EVIDENCE_RETENTION.title}`, '', ...EVIDENCE_RETENTION.lines.flatMap((l) => [l, '']), '**Basis**', '', `1. ${EVIDENCE_RETENTION.basis}`, ''];
}

export function renderMarkdown(docs: readonly PolicyDoc[]): string {
  const lines = [
    `# ${DOC_TITLE}`,
    '',
    `Generated by \`lethe policies doc\` from ${docs.length} polic${docs.length === 1 ? 'y' : 'ies'}. ${DOC_LEGEND[0]}`,
    '',
    DOC_LEGEND[1]!,
    '',
    '| policy | category | class | table | clock | retain | minimum | action |',
    '|---|---|---|---|---|---|---|---|',
    ...docs.map(summaryRow),
    '',
    ...docs.flatMap(section),
    ...evidenceSection(),
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
