// The registry of trigger kinds: `trigger.kind` in a policy file names one of these. A new kind
// is a module beside these (./types.ts says what it provides) and a line here.
import { z } from 'zod';
import type { Policy } from '../types.ts';
import { expiry } from './expiry.ts';
import { consentWithdrawn } from './consent-withdrawn.ts';
import type { Problem, RawTrigger, TriggerModule } from './types.ts';

export const TRIGGERS = {
  expiry,
  consent_withdrawn: consentWithdrawn,
} as const;

type Modules = typeof TRIGGERS;
type Resolved<M> = M extends TriggerModule<infer T> ? T : never;
/** A resolved trigger, of whichever registered kind. */
export type Trigger = { [K in keyof Modules]: Resolved<Modules[K]> }[keyof Modules];
export type TriggerKind = keyof Modules;

export const TRIGGER_KINDS = Object.keys(TRIGGERS) as TriggerKind[];

function moduleOf<T extends Trigger>(t: T): TriggerModule<T> {
  return TRIGGERS[t.kind as TriggerKind] as unknown as TriggerModule<T>;
}

/** The `trigger:` shape: `kind` and every registered kind's keys (resolve says which belong to which). */
export function triggerShape(): Record<string, z.ZodType> {
  const keys: Record<string, z.ZodType> = {
    kind: z.enum(TRIGGER_KINDS as [TriggerKind, ...TriggerKind[]], { error: `must be ${TRIGGER_KINDS.slice(0, -1).join(', ')} or ${TRIGGER_KINDS.at(-1)}` }),
  };
  for (const m of Object.values(TRIGGERS)) Object.assign(keys, m.keys);
  return keys;
}

/** The resolved trigger; another kind's key present is reported at that key. */
export function resolveTrigger(raw: RawTrigger, problem: Problem): Trigger | undefined {
  const m = TRIGGERS[raw.kind as TriggerKind] as TriggerModule<Trigger>;
  for (const [other, om] of Object.entries(TRIGGERS)) {
    if (other === raw.kind) continue;
    for (const key of Object.keys(om.keys)) {
      if (raw[key] === undefined || key in m.keys) continue;
      problem(['trigger', key], m.foreign?.[key] ?? `trigger.${key} is only for kind ${other}`, 'key');
    }
  }
  return m.resolve(raw, problem);
}

export const triggerTables = (p: Policy) => moduleOf(p.trigger).tables(p.trigger);
export const clockColumn = (p: Policy): string | null => moduleOf(p.trigger).clockColumn(p.trigger);
export const describeTrigger = (p: Policy): string => moduleOf(p.trigger).describe(p.trigger);
export const triggerModule = <T extends Trigger>(t: T): TriggerModule<T> => moduleOf(t);
