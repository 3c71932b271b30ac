// A shape-valid policy file → the resolved Policy, with the rules that span several keys.
import { basename } from 'node:path';
import type { PolicyProblem } from '../errors.ts';
import { approximateDays, parseDuration, type Duration } from '../duration.ts';
import type { Path } from './positions.ts';
import type { Locator } from './positions.ts';
import type { RawCondition, RawPolicy } from './schema.ts';
import type { Policy, WhereCondition } from './types.ts';
import { tableRef } from './table-ref.ts';
import { resolveTrigger } from './triggers/index.ts';
import { ACTIONS, resolveAction } from '../destroy/actions/index.ts';
import type { RawTrigger } from './triggers/types.ts';
import { beyondMaximum } from './ceiling.ts';
import { resolveSuppress } from './suppress-columns.ts';

export { DEFAULT_SCHEMA, tableRef } from './table-ref.ts';

/** `rejected-loan-applications.yaml` → `rejected-loan-applications`. */
export function fileStem(file: string): string {
  return basename(file).replace(/\.yaml$/, '');
}

/** Which registered action kind the raw `action:` is. */
function actionKindOf(raw: RawPolicy): string | undefined {
  return Object.values(ACTIONS).find((m) => m.matches(raw.action))?.kind;
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

type Problem = (where: Path, message: string, at?: 'key' | 'value') => void;


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

  const trigger = resolveTrigger(raw.trigger as RawTrigger, problem);

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

  // One of the registered action kinds (src/destroy/actions/), which resolves itself.
  const action = resolveAction(raw, problem);
  const { key, subject } = raw.source;

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

  if (problems.length > 0 || !trigger || !action) return problems;
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
  if (actionKindOf(raw) === 'manual' && raw.objects !== undefined) {
    problem(['objects'], 'objects are not used by action manual: the register lists physical items, destroyed through tasks', 'key');
  }
  if (actionKindOf(raw) === 'anonymise') {
    const fields = (raw.action as { anonymise: Record<string, unknown> }).anonymise;
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
