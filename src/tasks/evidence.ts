// Evidence of a destruction task's steps: written with appendEvidence in the step's own
// transaction, under the task's run, each step its own sealed batch. Lines appear only as
// record and subject refs; names of staff (executor, witness) are actors, as operators are.
import type { Tx } from '../db/connect.ts';
import type { Keys } from '../crypto/keys.ts';
import { appendEvidence, type EvidenceInput } from '../evidence/append.ts';
import type { Policy } from '../policy/types.ts';
import { newBatchId } from '../evidence/batch-id.ts';

/** Evidence actions of the task workflow (beyond the contract's list; see README). */
export const TASK_ACTIONS = {
  opened: 'task_opened',
  approved: 'task_approved',
  handedOver: 'task_handed_over',
  destroyed: 'destroyed_manually',
  /** A line a legal hold took out of the task after it was opened. */
  held: 'task_line_held',
} as const;

export interface TaskRef {
  id: string;
  runId: string;
  policyVersion: string;
}

export function taskEvidenceBase(p: Policy, task: TaskRef, trigger: string, actor: string, at: Date) {
  return {
    runId: task.runId,
    policyId: p.id,
    policyVersion: task.policyVersion,
    category: p.category,
    classification: p.classification,
    trigger,
    partner: null,
    actor,
    occurredAt: at,
  };
}

export async function appendTaskEvidence(tx: Tx, keys: Keys, records: EvidenceInput[], at: Date): Promise<number> {
  return appendEvidence(tx, keys, newBatchId(), records, at);
}
