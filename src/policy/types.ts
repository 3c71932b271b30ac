// The resolved policy: what the engine sees after YAML → zod → defaults. Nothing downstream
// reads raw YAML. Identifiers here have passed the syntax check; `checkCatalog` (src/policy/
// catalog.ts) confirms them against the database before any SQL is built from them.
import type { Duration } from '../duration.ts';
import type { SourcePosition } from '../errors.ts';
import type { ContactKind, DestructionMethod, FloorKind } from './schema.ts';

export type Classification = 'C1' | 'C2' | 'C3';

/** A table reference, schema resolved (default `public`). */
export interface TableRef {
  schema: string;
  table: string;
}

export type WhereCondition =
  | { column: string; op: 'eq'; value: string | number | boolean }
  | { column: string; op: 'in'; values: (string | number | boolean)[] }
  | { column: string; op: 'not'; value: string | number | boolean }
  | { column: string; op: 'is_null'; value: boolean };

export interface Source extends TableRef {
  key: string;
  subject: string;
  where: WhereCondition[];
}

export interface ConsentRef extends TableRef {
  subject: string;
  purposeColumn: string;
  purpose: string;
  withdrawnAt: string;
}

/** A resolved trigger: one of the kinds registered in src/policy/triggers/. */
export type { Trigger } from './triggers/index.ts';
import type { Trigger } from './triggers/index.ts';

export interface Minimum {
  period: Duration;
  /** Column of the source table starting the statutory floor; NULL = not started = kept. */
  from: string;
  basis: string[];
  /** `law`: set by a law or administrative regulation, defers an erasure request; the others yield to it. */
  kind: FloorKind;
}

/** A legal ceiling: nothing (retain, floor, override) may keep the records longer. */
export interface Maximum {
  period: Duration;
  basis: string[];
}

/** A table whose rows of the same subject keep the policy's records (`kept_while`). */
export interface Dependent extends TableRef {
  /** Its column holding the same ids as the policy's `source.subject`. */
  subject: string;
}

/** A contact column whose keyed hash is kept after a refusal (src/suppress/). */
export interface SuppressContact {
  column: string;
  kind: ContactKind;
}

export type AnonymiseStrategy =
  | { kind: 'redact' }
  | { kind: 'null' }
  | { kind: 'keep_prefix'; keep: number }
  | { kind: 'generalise'; to: 'year' | 'month' }
  | { kind: 'bucket'; size: number }
  | { kind: 'hmac' };

export interface AnonymiseField {
  column: string;
  strategy: AnonymiseStrategy;
}

/** `action: manual`: the source table is a register of physical items lethe never deletes by itself. */
export interface Register {
  /** Column saying where the item is kept (shown to whoever fetches it for destruction). */
  location: string;
  /** Column naming the item's media class (`paper`, `magnetic`, `disk`…). */
  mediaClass: string;
  /** Media class → destruction method; a class not listed is never put into a task. */
  methods: Record<string, DestructionMethod>;
}

/** A resolved action: one of the kinds registered in src/destroy/actions/. */
export type { Action } from '../destroy/actions/index.ts';
import type { Action } from '../destroy/actions/index.ts';

/** A column holding a pointer to a file in an object store: the file goes with the row. */
export interface ObjectColumn {
  column: string;
  store: string;
}

export interface Child extends TableRef {
  key: string;
  foreignKey: string;
  objects: ObjectColumn[];
}

/** A table whose rows a policy destroys, with its `objects:` and where they are written in the file. */
export interface PointerTable {
  table: TableRef;
  objects: readonly ObjectColumn[];
  /** `source.table` or `children.N.table`: where the table is named. */
  tablePath: string;
  /** `objects` or `children.N.objects`: where its `objects:` list is. */
  objectsPath: string;
  child: boolean;
}

/** The policy's source, then each child: every table whose rows it destroys and whose pointers it lists. */
export function pointerTables(p: Policy): PointerTable[] {
  return [
    { table: p.source, objects: p.objects, tablePath: 'source.table', objectsPath: 'objects', child: false },
    ...p.children.map((c, i) => ({ table: c, objects: c.objects, tablePath: `children.${i}.table`, objectsPath: `children.${i}.objects`, child: true })),
  ];
}

export interface Policy {
  id: string;
  title: string;
  category: string;
  classification: Classification;
  basis: string[];
  source: Source;
  trigger: Trigger;
  retain: Duration;
  minimum: Minimum | undefined;
  maximum: Maximum | undefined;
  action: Action;
  children: Child[];
  partners: 'notify' | undefined;
  /** Contact columns hashed into the suppression list when the subject refuses (empty: none). */
  suppress: SuppressContact[];
  /** Files the source rows point to (`objects:`), deleted from their stores after the rows go. */
  objects: ObjectColumn[];
  /**
   * The records are not due while their subject still has a row in any of these tables: proof
   * of consent outlives the data processed under it. Empty: no such condition.
   */
  keptWhile: Dependent[];
  /** sha256 (hex) of the file's bytes: evidence names the exact rules that applied. */
  version: string;
  /** Path as given to the loader, for messages. */
  file: string;
  /** The file's text, stored in lethe.policy_versions. */
  text: string;
  /** Where each part of the policy was written, keyed by dotted path (`source.table`). */
  positions: Record<string, SourcePosition>;
}

export function qualifiedName(t: TableRef): string {
  return `${t.schema}.${t.table}`;
}
