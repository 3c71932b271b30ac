// Deletes one file from object storage: one attempt per job; on a retryable failure the next
// attempt is enqueued with its backoff delay, after the outcome was committed, under a job id
// naming the attempt so it is never queued twice.
import { UnrecoverableError } from 'bullmq';
import type { Processor } from '../src/pipeline/workers.ts';
import { deliverObject } from '../src/objects/deliver.ts';
import { deletionJobId } from '../src/objects/sweep.ts';

export const deleteObjectJob: Processor<'delete-object'> = async (data, ctx) => {
  if (!ctx.objects) throw new UnrecoverableError('delete-object runs on the store workers only (src/objects/workers.ts)');
  const outcome = await deliverObject(ctx, ctx.objects, data.deletionId);
  if (outcome.kind === 'retry') {
    await ctx.enqueue('delete-object', { deletionId: data.deletionId, storeId: outcome.storeId },
      deletionJobId(data.deletionId, outcome.attempts), { delayMs: outcome.delayMs });
  }
  // The job's return value lands in Redis: the outcome's kind only, never a reason quoting a store.
  return { kind: outcome.kind };
};
