// A shape-valid policy file → the resolved Policy, with the rules that span several keys.
import { basename } from 'node:path';
import type { PolicyProblem } from '../errors.ts';
import { approximateDays, parseDuration, type Duration } from '../duration.ts';
import type { Path } from './positions.ts';
import type { Locator } from './positions.ts';
import type { DestructionMethod, RawCondition, RawPolicy, RawStrategy } from './schema.ts';
import type { AnonymiseStrategy, Policy, TableRef, Trigger, WhereCondition } from './types.ts';
import { beyondMaximum } from './ceiling.ts';
import { resolveSuppress } from './suppress-columns.ts';

export const DEFAULT_SCHEMA = 'public';

export function tableRef(name: string): TableRef {
  const dot = name.indexOf('.');
  return dot < 0 ? { schema: DEFAULT_SCHEMA, table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** `rejected-loan-applications.yaml` → `rejected-loan-applications`. */
export function fileStem(file: string): string {
  return basename(file).replace(/\.yaml$/, '');
}

/** `where:` as written → conditions (a policy's, an allow-list entry's). */
export function whereConditions(raw: Record<string, RawCondition> | undefined): WhereCondition[] {
  return Object.entries(raw ?? {}).map(([column, c]) => condition(column, c));
}

function condition(column: string, c: RawCondition): WhereCondition {
  if (typeof c !== 'object') return { column, op: 'eq', value: c };
  if (c.in !== undefined) return { column, op: 'in', values: c.in };
  if (c.not !== undefined) return { column, op: 'not', value: c.not };
  return { column, op: 'is_null', value: c.is_null! };
}

function strategy(s: RawStrategy): AnonymiseStrategy {
  if (s === null) return { kind: 'null' };
  if (typeof s === 'string') return { kind: s };
  if (s.keep_prefix !== undefined) return { kind: 'keep_prefix', keep: s.keep_prefix };
  if (s.generalise !== undefined) return { kind: 'generalise', to: s.generalise };
  return { kind: 'bucket', size: s.bucket! };
}

/** Who destroys what by which method, when no policy says otherwise (JR/T 0171-2020 ✘). */
export const DEFAULT_METHODS: Record<string, DestructionMethod> = {
  paper: 'shred',
  magnetic: 'degauss',
  disk: 'overwrite-3',
  optical: 'crush',
  flash: 'crush',
};

type Problem = (where: Path, message: string, at?: 'key' | 'value') => void;

function manualAction(raw: RawPolicy, problem: Problem): Policy['action'] {
  const r = raw.register;
  if (r === undefined) {
    problem(['action'], 'action manual needs register: { location: column, media_class: column, methods?: { class: method } }');
    return { kind: 'delete' };
  }
  // Rows of a register are items in a cabinet: nothing hangs off them that lethe could delete,
  // and partners are told when the data itself goes, not when its paper copy is shredded.
  if (raw.children !== undefined) problem(['children'], 'children are not used by action manual: people destroy the register\'s items, and confirming a task deletes their register rows', 'key');
  if (raw.partners !== undefined) problem(['partners'], 'partners: notify is not supported with action manual', 'key');
  for (const column of [r.location, r.media_class]) {
    if (column === raw.source.key) problem(['register'], `register names the source key ${column} as a location or media class column`, 'key');
  }
  return { kind: 'manual', register: { location: r.location, mediaClass: r.media_class, methods: { ...DEFAULT_METHODS, ...(r.methods ?? {}) } } };
}

export interface ResolveInput {
  raw: RawPolicy;
  file: string;
  text: string;
  version: string;
  loc: Locator;
}

export function resolvePolicy({ raw, file, text, version, loc }: ResolveInput): Policy | PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const problem: Problem = (where, message, at = 'value') => {
    const pos = (at === 'key' ? loc.key(where) : loc.value(where)) ?? loc.top();
    problems.push({ ...pos, message });
  };

  let trigger: Trigger | undefined;
  const t = raw.trigger;
  if (t.kind === 'expiry') {
    if (t.from === undefined) problem(['trigger', 'kind'], 'trigger.from is required for kind expiry: the timestamp column that starts the clock');
    if (t.consent !== undefined) problem(['trigger', 'consent'], 'trigger.consent is only for kind consent_withdrawn', 'key');
    if (t.from !== undefined) trigger = { kind: 'expiry', from: t.from };
  } else {
    if (t.from !== undefined) problem(['trigger', 'from'], 'trigger.from is not used by kind consent_withdrawn: the withdrawal time starts the clock', 'key');
    if (t.consent === undefined) {
      problem(['trigger', 'kind'], 'trigger.consent is required for kind consent_withdrawn: { table, subject, purpose_column, purpose, withdrawn_at }');
    } else {
      const c = t.consent;
      trigger = {
        kind: 'consent_withdrawn',
        consent: { ...tableRef(c.table), subject: c.subject, purposeColumn: c.purpose_column, purpose: c.purpose, withdrawnAt: c.withdrawn_at },
      };
    }
  }

  const retain = parseDuration(raw.retain) as Duration;
  const minimum = raw.minimum && {
    period: parseDuration(raw.minimum.period) as Duration,
    from: raw.minimum.from,
    basis: raw.minimum.basis,
    kind: raw.minimum.kind,
  };
  if (minimum && raw.minimum?.reason === undefined && approximateDays(retain) < approximateDays(minimum.period)) {
    problem(['retain'], `retain ${retain.iso} is shorter than minimum ${minimum.period.iso}: records would be deferred until the floor ends; say why in minimum.reason`);
  }
  const maximum = raw.maximum && { period: parseDuration(raw.maximum.period) as Duration, basis: raw.maximum.basis };
  const tooLong = beyondMaximum('retain', retain, maximum);
  if (tooLong) problem(['retain'], tooLong);
  const floorTooLong = minimum && beyondMaximum('minimum.period', minimum.period, maximum);
  if (floorTooLong) problem(['minimum', 'period'], floorTooLong);

  const { key, subject } = raw.source;
  let action: Policy['action'] = { kind: 'delete' };
  if (raw.action === 'manual') {
    action = manualAction(raw, problem);
  } else if (raw.register !== undefined) {
    problem(['register'], 'register is only for action: manual (physical items destroyed by people, with a task)', 'key');
  }
  if (typeof raw.action === 'object') {
    const fields = Object.entries(raw.action.anonymise).map(([column, s]) => ({ column, strategy: strategy(s) }));
    for (const f of fields) {
      if (f.column === key || f.column === subject) {
        const role = f.column === key ? 'key' : 'subject';
        problem(['action', 'anonymise', f.column],
          `action.anonymise.${f.column} is the source ${role} column: anonymising it would cut the record from its ${role === 'key' ? 'evidence and children' : 'subject, holds and erasure requests'}`, 'key');
      }
    }
    action = { kind: 'anonymise', fields };
  }

  const children = (raw.children ?? []).map((c) => ({ ...tableRef(c.table), key: c.key, foreignKey: c.foreign_key, objects: c.objects ?? [] }));
  const objects = raw.objects ?? [];
  checkObjectColumns(raw, problem);
  const seen = new Set<string>();
  children.forEach((c, i) => {
    const name = `${c.schema}.${c.table}`;
    if (seen.has(name)) problem(['children', i, 'table'], `children[${i}].table ${name} is listed twice`);
    seen.add(name);
  });

  const suppress = resolveSuppress(raw.suppress ?? [], raw.source);
  for (const s of suppress.problems) problem(['suppress', s.index], s.message);
  // The purpose a refusal is recorded under is the consent's: a list per purpose.
  if (raw.suppress !== undefined && raw.trigger.kind !== 'consent_withdrawn') {
    problem(['suppress'], 'suppress is for a consent_withdrawn policy: its consent purpose names the list the contacts go on', 'key');
  }

  if (problems.length > 0 || !trigger) return problems;
  return {
    id: raw.id,
    title: raw.title,
    category: raw.category,
    classification: raw.classification,
    basis: raw.basis,
    source: {
      ...tableRef(raw.source.table),
      key,
      subject,
      where: whereConditions(raw.source.where),
    },
    trigger,
    retain,
    minimum,
    maximum,
    action,
    children,
    partners: raw.partners,
    suppress: suppress.contacts,
    objects,
    keptWhile: (raw.kept_while ?? []).map((k) => ({ ...tableRef(k.table), subject: k.subject })),
    version,
    file,
    text,
    positions: loc.all(),
  };
}

/** Objects go with rows lethe destroys: not with a register, and an anonymised pointer must not survive. */
function checkObjectColumns(raw: RawPolicy, problem: Problem): void {
  const lists: [Path, { column: string }[]][] = [[['objects'], raw.objects ?? []],
    ...(raw.children ?? []).map((c, i): [Path, { column: string }[]] => [['children', i, 'objects'], c.objects ?? []])];
  for (const [path, list] of lists) {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      if (seen.has(o.column)) problem([...path, i, 'column'], `${o.column} is listed twice in objects`);
      seen.add(o.column);
    });
  }
  if (raw.action === 'manual' && raw.objects !== undefined) {
    problem(['objects'], 'objects are not used by action manual: the register lists physical items, destroyed through tasks', 'key');
  }
  if (typeof raw.action === 'object') {
    const fields = raw.action.anonymise;
    (raw.objects ?? []).forEach((o, i) => {
      const s = Object.hasOwn(fields, o.column) ? fields[o.column] : undefined;
      if (s !== null && s !== 'redact') {
        problem(['objects', i, 'column'], `objects column ${o.column} must be cleared by the anonymisation (write ${o.column}: null under action.anonymise): a kept pointer would outlive its deleted file`);
      }
    });
  }
  if ((raw.objects ?? []).some((o) => o.column === raw.source.key || o.column === raw.source.subject)) {
    problem(['objects'], 'an objects column cannot be the source key or subject column', 'key');
  }
}
