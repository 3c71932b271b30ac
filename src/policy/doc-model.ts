// What a DPO reads about one policy, as plain text and lists: the Markdown and HTML catalogues
// (doc.ts, doc-html.ts) render the same model, so they cannot disagree. The YAML comments of a
// policy file carry its legal caveats (◐ secondary source, ✘ unverified), so they are shown too.
import { basename } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { Duration } from '../duration.ts';
import type { AnonymiseStrategy, Policy, WhereCondition } from './types.ts';
import type { FloorKind } from './schema.ts';
import { isOverridden } from './overrides.ts';
import { describeDeidentification } from './deidentification.ts';

export const DOC_TITLE = 'Retention policies';

/** The legend printed above the catalogue in both formats. */
export const DOC_LEGEND = [
  'Each policy names the records it governs, the column whose time starts its clock, how long they are kept (`retain`), any floor (`minimum`: no routine run destroys earlier; a floor set by a law or administrative regulation also defers an erasure request until it ends, while one from a regulator\'s rule or applied by analogy yields to the request), any legal ceiling (`maximum`: no retention, floor or deployment override may exceed it), and what happens at the end: the record is deleted, or the listed columns are anonymised, or — for paper and storage media (`manual`) — a destruction task is opened for people to approve, hand over, destroy by the method the media class requires, and confirm before a witness. A legal hold (`lethe hold`) stops all three.',
  'Durations are ISO 8601 (P30D = 30 days, P6M = 6 months, P10Y = 10 years). Classification is JR/T 0171-2020 (C1 lowest, C3 highest). In the notes, ✔ marks a figure read in the text of the law, ◐ one from a secondary summary and ✘ one not yet checked.',
];

/** A citation or value and the comment written next to it in the file, if any. */
export interface Noted {
  text: string;
  note: string | undefined;
}

export interface PolicyDoc {
  id: string;
  title: string;
  category: string;
  classification: Noted;
  file: string;
  /** First 12 hex digits of the policy version (sha256 of the file, or of file + override). */
  version: string;
  table: string;
  key: string;
  subject: string;
  /** `status = 'rejected'`…; empty when every row of the table is in scope. */
  where: string[];
  clock: { kind: 'expiry'; column: string } | { kind: 'consent_withdrawn'; table: string; purposeColumn: string; purpose: string; withdrawnAt: string };
  retain: Noted & { overridden: boolean };
  minimum: { period: string; from: string; basis: Noted[]; reason: string | undefined; overridden: boolean; kind: FloorKind } | undefined;
  maximum: { period: string; basis: Noted[] } | undefined;
  action: string;
  /** `manual`: the register's columns and the destruction method per media class. */
  register: { location: string; mediaClass: string; methods: { mediaClass: string; method: string }[] } | undefined;
  /** Anonymised columns and what happens to each; empty for delete. */
  fields: { column: string; strategy: string; note: string | undefined }[];
  /** For anonymise: what the record still holds, and why it is not anonymous (PIPL art. 73). */
  deidentification: string | undefined;
  /** Contact columns hashed into the suppression list after a refusal. */
  suppress: { column: string; kind: string }[];
  /** Tables whose rows of the same subject keep these records (`kept_while`). */
  keptWhile: { table: string; subject: string }[];
  children: { table: string; foreignKey: string }[];
  partners: boolean;
  basis: Noted[];
  /** The comment block at the top of the file. */
  notes: string | undefined;
}

const UNITS: [keyof Duration, string][] = [
  ['years', 'year'], ['months', 'month'], ['weeks', 'week'], ['days', 'day'],
  ['hours', 'hour'], ['minutes', 'minute'], ['seconds', 'second'],
];

/** `P1Y6M (1 year 6 months)`; `P0D (at once)`. */
export function describeDuration(d: Duration): string {
  const parts = UNITS.filter(([k]) => (d[k] as number) > 0).map(([k, unit]) => {
    const n = d[k] as number;
    return `${n} ${unit}${n === 1 ? '' : 's'}`;
  });
  return `${d.iso} (${parts.length === 0 ? 'at once' : parts.join(' ')})`;
}

export function describeStrategy(s: AnonymiseStrategy): string {
  switch (s.kind) {
    case 'redact': return 'redact (replaced by ***)';
    case 'null': return 'set to NULL';
    case 'keep_prefix': return `keep the first ${s.keep} characters, mask the rest with *`;
    case 'generalise': return `truncate to the ${s.to}`;
    case 'bucket': return `round down to a multiple of ${s.size}`;
    case 'hmac': return 'keyed pseudonym (HMAC-SHA256): pseudonymous, NOT anonymous';
  }
}

function describeCondition(c: WhereCondition): string {
  const v = (x: string | number | boolean) => (typeof x === 'string' ? `'${x}'` : String(x));
  switch (c.op) {
    case 'eq': return `${c.column} = ${v(c.value)}`;
    case 'in': return `${c.column} in (${c.values.map(v).join(', ')})`;
    case 'not': return `${c.column} <> ${v(c.value)}`;
    case 'is_null': return `${c.column} is ${c.value ? '' : 'not '}null`;
  }
}

const tableName = (t: { schema: string; table: string }) => `${t.schema}.${t.table}`;

/** Comments of the file, looked up by path. */
class Comments {
  constructor(private readonly doc: Document) {}

  private node(path: (string | number)[]): Node | undefined {
    const n = this.doc.getIn(path, true);
    return n && typeof n === 'object' ? (n as Node) : undefined;
  }

  /** The comment on the same line as the value at `path`. */
  at(...path: (string | number)[]): string | undefined {
    return clean(this.node(path)?.comment) ?? clean(this.keyOf(path)?.commentBefore);
  }

  /** The key of the entry at `path` (comments written on the lines above it belong to it). */
  private keyOf(path: (string | number)[]): Node | undefined {
    const parent = path.length === 1 ? this.doc.contents : this.node(path.slice(0, -1));
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((i) => isScalar(i.key) && String(i.key.value) === String(path[path.length - 1]));
    return isScalar(pair?.key) ? pair.key : undefined;
  }

  /** The comment block before the first key: the file's header. */
  header(): string | undefined {
    const top = this.doc.contents;
    const first = isMap(top) ? top.items[0]?.key : undefined;
    return clean(this.doc.commentBefore ?? (top as Node | null)?.commentBefore ?? (isScalar(first) ? first.commentBefore : undefined));
  }

  raw(path: (string | number)[]): unknown {
    const n = this.node(path);
    return isScalar(n) ? n.value : isMap(n) || isSeq(n) ? n.toJSON() : undefined;
  }
}

function clean(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const text = comment.split('\n').map((l) => l.replace(/^ /, '').trimEnd()).join('\n').trim();
  return text === '' ? undefined : text;
}

export function describePolicy(p: Policy): PolicyDoc {
  const c = new Comments(parseDocument(p.text));
  const t = p.trigger;
  const clock: PolicyDoc['clock'] = t.kind === 'expiry'
    ? { kind: 'expiry', column: t.from }
    : { kind: 'consent_withdrawn', table: tableName(t.consent), purposeColumn: t.consent.purposeColumn, purpose: t.consent.purpose, withdrawnAt: t.consent.withdrawnAt };
  const reason = c.raw(['minimum', 'reason']);
  return {
    id: p.id,
    title: p.title,
    category: p.category,
    classification: { text: p.classification, note: c.at('classification') },
    file: basename(p.file),
    version: p.version.slice(0, 12),
    table: tableName(p.source),
    key: p.source.key,
    subject: p.source.subject,
    where: p.source.where.map(describeCondition),
    clock,
    retain: isOverridden(p, 'retain')
      ? { text: describeDuration(p.retain), note: `set by this deployment's override file; the policy file says ${String(c.raw(['retain']))}`, overridden: true }
      : { text: describeDuration(p.retain), note: c.at('retain'), overridden: false },
    minimum: p.minimum && {
      period: describeDuration(p.minimum.period),
      from: p.minimum.from,
      basis: p.minimum.basis.map((b, i) => ({ text: b, note: c.at('minimum', 'basis', i) ?? c.at('minimum', 'basis') })),
      reason: typeof reason === 'string' ? reason : undefined,
      overridden: isOverridden(p, 'minimum.period'),
      kind: p.minimum.kind,
    },
    maximum: p.maximum && {
      period: describeDuration(p.maximum.period),
      basis: p.maximum.basis.map((b, i) => ({ text: b, note: c.at('maximum', 'basis', i) ?? c.at('maximum', 'basis') })),
    },
    action: p.action.kind,
    register: p.action.kind === 'manual' ? {
      location: p.action.register.location,
      mediaClass: p.action.register.mediaClass,
      methods: Object.entries(p.action.register.methods).sort(([a], [b]) => a.localeCompare(b)).map(([mediaClass, method]) => ({ mediaClass, method })),
    } : undefined,
    fields: p.action.kind !== 'anonymise' ? [] : p.action.fields.map((f) => ({
      column: f.column, strategy: describeStrategy(f.strategy), note: c.at('action', 'anonymise', f.column),
    })),
    deidentification: p.action.kind === 'anonymise' ? describeDeidentification(p.action.fields, p.source.subject) : undefined,
    suppress: p.suppress.map((x) => ({ column: x.column, kind: x.kind })),
    keptWhile: p.keptWhile.map((k) => ({ table: tableName(k), subject: k.subject })),
    children: p.children.map((ch) => ({ table: tableName(ch), foreignKey: ch.foreignKey })),
    partners: p.partners === 'notify',
    basis: p.basis.map((b, i) => ({ text: b, note: c.at('basis', i) })),
    notes: c.header(),
  };
}

/** What a floor of this kind does to an erasure request (PIPL art. 47). */
export const FLOOR_KIND_TEXT: Record<FloorKind, string> = {
  law: 'set by a law or administrative regulation: an erasure request is deferred (the record restricted) until it ends',
  regulator: "a regulator's rule, not a law: keeps the records for the business, but an erasure request destroys them at once",
  analogy: 'applied by analogy, not set by a law for these records: keeps them for the business, but an erasure request destroys them at once',
};

/** The kept-while row, in either format. */
export function keptWhileText(d: PolicyDoc, code: (s: string) => string): string {
  return `not due while the subject still has a row in ${d.keptWhile.map((k) => `${code(k.table)} (by ${code(k.subject)})`).join(' or ')}, whatever the clock says`;
}

/** The suppression row, in either format. */
export function suppressText(d: PolicyDoc, code: (s: string) => string): string {
  return `after a refusal (consent withdrawn or an erasure request), keyed hashes of the subject and of ${d.suppress.map((x) => `${code(x.column)} (${x.kind})`).join(', ')} stay on the suppression list for purpose ${code(d.clock.kind === 'consent_withdrawn' ? d.clock.purpose : '?')} until consent is granted again`;
}

/** The action row of a manual policy, in either format (`code` quotes a column name). */
export function manualText(r: NonNullable<PolicyDoc['register']>, code: (s: string) => string): string {
  return `manual: due register rows go into a destruction task (approve → hand over → destroy → confirm with a witness), the row is deleted on confirmation; location ${code(r.location)}, media class ${code(r.mediaClass)}; methods: ${r.methods.map((m) => `${m.mediaClass} → ${m.method}`).join(', ')}`;
}

/** The catalogue's policies in a stable order: by id. */
export function describePolicies(policies: readonly Policy[]): PolicyDoc[] {
  return [...policies].sort((a, b) => a.id.localeCompare(b.id)).map(describePolicy);
}

/** lethe's own evidence is not a policy file (it is not business data) but the pack covers it. */
export const EVIDENCE_RETENTION = {
  title: "lethe's own destruction evidence",
  lines: [
    'Evidence records (`lethe.evidence`, its seals and prune anchors) are records of personal-information processing: kept at least three years, then pruned.',
    'Kept for `LETHE_EVIDENCE_RETAIN` (default P3Y; lethe refuses less, and the database refuses to remove anything younger than three years whatever the application says).',
    'Pruned by `lethe evidence prune` and daily by `lethe worker`: the oldest whole sealed batches go, and an HMAC-chained anchor keeps `lethe evidence verify` checking everything that remains. Export the register first where auditors keep it longer.',
    'Evidence never holds the destroyed data: subjects and records appear only as keyed pseudonyms.',
  ],
  basis: '个人信息保护法 第五十六条：个人信息保护影响评估报告和处理情况记录应当至少保存三年 ✔',
} as const;
