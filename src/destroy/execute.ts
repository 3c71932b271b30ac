// One batch carried out, whoever asks (the purge-batch job, an erasure request): the purge
// transaction, then — once it committed — the post-destruction check and the hand-off of the
// partner requests and file deletions it queued. Neither leaves before its destruction
// committed; one not enqueued here (no queue at hand, or the process died) is picked up by the
// partner and object sweeps.
import type { EngineContext, Ruleset } from '../engine.ts';
import type { Enqueue } from '../pipeline/queues.ts';
import { deliveryJobId } from '../partners/sweep.ts';
import { deletionJobId } from '../objects/sweep.ts';
import { purgeAndCheck } from './post-check.ts';
import type { PurgeOutcome } from './purge.ts';

export async function executeBatch(ctx: EngineContext, rules: Ruleset, batchId: string, enqueue?: Enqueue): Promise<PurgeOutcome> {
  const outcome = await purgeAndCheck(ctx, rules, batchId);
  if (enqueue) await handOff(outcome, enqueue);
  return outcome;
}

/** The partner requests and file deletions a committed destruction queued (a batch, a dropped partition), to their jobs. */
export async function handOff(queued: Pick<PurgeOutcome, 'partnerRequests' | 'objectDeletions'>, enqueue: Enqueue): Promise<void> {
  for (const r of queued.partnerRequests ?? []) {
    await enqueue('notify-partner', { requestId: r.id, partnerId: r.partnerId }, deliveryJobId(r.id, 0));
  }
  for (const d of queued.objectDeletions ?? []) {
    await enqueue('delete-object', { deletionId: d.id, storeId: d.storeId }, deletionJobId(d.id, 0));
  }
}
