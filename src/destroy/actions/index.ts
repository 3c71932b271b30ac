// The registry of action kinds: `action:` in a policy file is one of these. A new kind is a
// module beside these (./types.ts says what it provides) and a line here.
import { z } from 'zod';
import type { Policy } from '../../policy/types.ts';
import type { RawPolicy } from '../../policy/schema.ts';
import type { Problem } from '../../policy/triggers/types.ts';
import { PolicyChangedError } from '../../errors.ts';
import { deleteAction } from './delete.ts';
import { anonymiseAction } from './anonymise.ts';
import { manualAction } from './manual.ts';
import type { ActionModule, PurgeAction } from './types.ts';

export type { ActionModule, PurgeAction } from './types.ts';

export const ACTIONS = {
  delete: deleteAction,
  manual: manualAction,
  anonymise: anonymiseAction,
} as const;

type Modules = typeof ACTIONS;
type Resolved<M> = M extends ActionModule<infer A> ? A : never;
/** A resolved action, of whichever registered kind. */
export type Action = { [K in keyof Modules]: Resolved<Modules[K]> }[keyof Modules];

const modules = Object.values(ACTIONS) as ActionModule[];
const SYNTAX = modules.map((m) => m.syntax);

/** The `action:` union, its message listing every registered way to write an action. */
export function actionSchema(): z.ZodType {
  const error = `must be ${SYNTAX.slice(0, -1).join(', ')} or ${SYNTAX.at(-1)}`;
  return z.union(modules.map((m) => m.schema) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]], { error });
}

/** Keys some kind adds at the top of a policy (resolveAction refuses them beside another kind). */
export function actionPolicyKeys(): Record<string, z.ZodType> {
  return Object.assign({}, ...modules.map((m) => m.policyKeys ?? {})) as Record<string, z.ZodType>;
}

export function resolveAction(raw: RawPolicy, problem: Problem): Action | undefined {
  const m = modules.find((x) => x.matches(raw.action))! as ActionModule<Action>;
  for (const other of modules) {
    if (other === (m as ActionModule)) continue;
    for (const key of Object.keys(other.policyKeys ?? {})) {
      if ((raw as Record<string, unknown>)[key] !== undefined) {
        problem([key], `${key} is only for action: ${other.syntax} (${other.summary})`, 'key');
      }
    }
  }
  return m.resolve(raw, problem);
}

export const actionModule = (a: Action): ActionModule => ACTIONS[a.kind] as ActionModule;

/** How a purge batch carries out the policy's action; a kind people carry out is never purged. */
export function purgeActionOf(p: Policy): PurgeAction {
  const m = actionModule(p.action);
  if (!m.purge) throw new PolicyChangedError(`policy ${p.id} has action ${m.kind}: its register is destroyed through tasks, not purge batches`);
  return m.purge;
}
