// What a policy version owed, read back from the text kept in lethe.policy_versions: the
// register states the retention each destroyed record was owed. Read leniently (yaml, not the
// full loader): a version that drove a run years ago must still be described, even if today's
// loader would reject it; what cannot be read is reported as unknown, never guessed.
import { parse } from 'yaml';
import { DEFAULT_SCHEMA } from '../policy/resolve.ts';
import { parseDuration, subtractDuration } from '../duration.ts';

export interface PolicyRule {
  /** Schema-qualified source table: rows of other tables in its evidence are child rows. */
  table: string | null;
  action: 'delete' | 'anonymise' | 'manual' | null;
  /** `expiry` clock column, or `consent withdrawn`. */
  clock: string | null;
  retain: string | null;
  minimum: string | null;
  minimumFrom: string | null;
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
  if (rule.minimum && (clockTrigger || trigger === 'erasure_request')) {
    parts.push(`${rule.minimum} since ${rule.minimumFrom ?? 'its start'} (statutory minimum)`);
    const d = parseDuration(rule.minimum);
    if (d && bound === null) bound = subtractDuration(new Date(lastOccurredAt), d).toISOString();
  }
  if (parts.length === 0) return { atLeast: trigger === 'erasure_request' ? 'none: erasure request, no statutory minimum' : null, clockStartedBy: null };
  return { atLeast: parts.join('; '), clockStartedBy: bound };
}
