// The registry of action kinds the purge can carry out. `manual` (paper and media) is not here:
// people destroy those items through destruction tasks (src/tasks/), never a purge batch.
import type { Action } from '../../policy/types.ts';
import { PolicyChangedError } from '../../errors.ts';
import { deleteAction } from './delete.ts';
import { anonymiseAction } from './anonymise.ts';
import type { ActionModule } from './types.ts';

export type { ActionModule } from './types.ts';

export const ACTIONS: { readonly [K in Exclude<Action['kind'], 'manual'>]: ActionModule } = {
  delete: deleteAction,
  anonymise: anonymiseAction,
};

export function actionOf(policyId: string, action: Action): ActionModule {
  if (action.kind === 'manual') {
    throw new PolicyChangedError(`policy ${policyId} has action manual: its register is destroyed through tasks, not purge batches`);
  }
  return ACTIONS[action.kind];
}
