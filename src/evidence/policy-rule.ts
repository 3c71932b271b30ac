// What a policy version owed, read back from the text kept in lethe.policy_versions: the
// register states the retention each destroyed record was owed. Read leniently (yaml, not the
// full loader): a version that drove a run years ago must still be described, even if today's
// loader would reject it; what cannot be read is reported as unknown, never guessed.
import { parse } from 'yaml';
import { DEFAULT_SCHEMA } from '../policy/resolve.ts';
import { parseDuration, subtractDuration } from '../duration.ts';
import { FLOOR_KINDS, type FloorKind } from '../policy/schema.ts';
import { deidentificationOf, type DeidentificationResult } from '../policy/deidentification.ts';
import type { AnonymiseField } from '../policy/types.ts';

export interface PolicyRule {
  /** Schema-qualified source table: rows of other tables in its evidence are child rows. */
  table: string | null;
  action: 'delete' | 'anonymise' | 'manual' | null;
  /** `expiry` clock column, or `consent withdrawn`. */
  clock: string | null;
  retain: string | null;
  minimum: string | null;
  minimumFrom: string | null;
  /** Who set the floor; a version written before floors had kinds deferred every erasure: `law`. */
  minimumKind: FloorKind | null;
  /** For anonymise: what the records kept (PIPL art. 73), read from the strategies. */
  deidentification: DeidentificationResult | null;
  /** The `basis` citations. */
  basis: string[];
}

/** The anonymise strategies as written, leniently: what cannot be read keeps nothing. */
function fieldsOf(action: unknown): AnonymiseField[] | null {
  const a = (action as { anonymise?: unknown } | null)?.anonymise;
  if (!a || typeof a !== 'object') return null;
  return Object.entries(a as Record<string, unknown>).map(([column, v]) => {
    const o = (v ?? {}) as Record<string, unknown>;
    if (v === 'hmac') return { column, strategy: { kind: 'hmac' } };
    if (typeof o.keep_prefix === 'number') return { column, strategy: { kind: 'keep_prefix', keep: o.keep_prefix } };
    if (o.generalise === 'year' || o.generalise === 'month') return { column, strategy: { kind: 'generalise', to: o.generalise } };
    if (typeof o.bucket === 'number') return { column, strategy: { kind: 'bucket', size: o.bucket } };
    return { column, strategy: { kind: v === null ? 'null' : 'redact' } };
  });
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

export function readPolicyRule(text: string): PolicyRule {
  let doc: Record<string, unknown> = {};
  try {
    const parsed: unknown = parse(text);
    if (parsed && typeof parsed === 'object') doc = parsed as Record<string, unknown>;
  } catch {
    // unknown, below
  }
  const source = (doc.source ?? {}) as Record<string, unknown>;
  const trigger = (doc.trigger ?? {}) as Record<string, unknown>;
  const minimum = (doc.minimum ?? {}) as Record<string, unknown>;
  const kind = FLOOR_KINDS.find((k) => k === minimum.kind) ?? (doc.minimum ? 'law' : null);
  const fields = fieldsOf(doc.action);
  const tableName = str(source.table);
  // An override file's periods are appended to the text as comments (src/policy/overrides.ts).
  const overridden = (key: string) => new RegExp(`^#\\s+${key.replace('.', '\\.')}: (P\\S+)`, 'm').exec(text)?.[1] ?? null;
  return {
    table: tableName === null ? null : tableName.includes('.') ? tableName : `${DEFAULT_SCHEMA}.${tableName}`,
    action: doc.action === 'delete' || doc.action === 'manual' ? doc.action : doc.action && typeof doc.action === 'object' ? 'anonymise' : null,
    clock: trigger.kind === 'expiry' ? str(trigger.from) : trigger.kind === 'consent_withdrawn' ? 'consent withdrawn' : null,
    retain: overridden('retain') ?? str(doc.retain),
    minimum: overridden('minimum.period') ?? str(minimum.period),
    minimumFrom: str(minimum.from),
    minimumKind: kind,
    deidentification: fields ? deidentificationOf(fields) : null,
    basis: Array.isArray(doc.basis) ? doc.basis.filter((b): b is string => typeof b === 'string') : [],
  };
}

export interface Served {
  /** The retention every record of the line had served at least, by the rule that destroyed it. */
  atLeast: string | null;
  /** Each record's clock started on or before this instant (last occurred_at minus that period). */
  clockStartedBy: string | null;
}

/**
 * Evidence holds no values, so a record's real age is not known; what is known is that lethe
 * destroyed it only once its rule had run: `retain` since the clock (for a clock trigger) and
 * the statutory `minimum` since its own start. An erasure request ignores `retain`.
 */
export function servedByRule(rule: PolicyRule | null, trigger: string, action: string, lastOccurredAt: string): Served {
  const none = { atLeast: null, clockStartedBy: null };
  // A task's steps before the destruction itself (opened, approved, handed over) serve nothing yet.
  if (!rule || action === 'deferred' || action.startsWith('partner_') || action.startsWith('task_')) return none;
  const parts: string[] = [];
  let bound: string | null = null;
  const clockTrigger = trigger === 'expiry' || trigger === 'consent_withdrawn';
  if (clockTrigger && rule.retain) {
    parts.push(`${rule.retain} since ${rule.clock ?? 'its clock'}`);
    const d = parseDuration(rule.retain);
    if (d) bound = subtractDuration(new Date(lastOccurredAt), d).toISOString();
  }
  // PIPL art. 47: only a law's floor holds against an erasure request; the others yielded to it.
  const floorHeld = clockTrigger || (trigger === 'erasure_request' && rule.minimumKind === 'law');
  if (rule.minimum && floorHeld) {
    parts.push(`${rule.minimum} since ${rule.minimumFrom ?? 'its start'} (${rule.minimumKind === 'law' ? 'statutory minimum' : `minimum, ${rule.minimumKind}`})`);
    const d = parseDuration(rule.minimum);
    if (d && bound === null) bound = subtractDuration(new Date(lastOccurredAt), d).toISOString();
  }
  if (parts.length === 0) {
    const none = rule.minimum ? `none: erasure request; the minimum ${rule.minimum} (${rule.minimumKind}, not set by a law) yields to it` : 'none: erasure request, no statutory minimum';
    return { atLeast: trigger === 'erasure_request' ? none : null, clockStartedBy: null };
  }
  return { atLeast: parts.join('; '), clockStartedBy: bound };
}
