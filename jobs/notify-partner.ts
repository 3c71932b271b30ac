// Delivers one partner purge request (or a reminder of it): one attempt per job; on a
// retryable failure the next attempt is enqueued with its backoff delay, after the outcome
// was committed, under a job id naming the attempt so it is never queued twice.
import { UnrecoverableError } from 'bullmq';
import type { Processor } from '../src/pipeline/workers.ts';
import { deliverRequest } from '../src/partners/deliver.ts';
import { deliveryJobId } from '../src/partners/sweep.ts';

export const notifyPartner: Processor<'notify-partner'> = async (data, ctx) => {
  if (!ctx.partners) throw new UnrecoverableError('notify-partner runs on the partner workers only (src/partners/workers.ts)');
  const outcome = await deliverRequest(ctx, ctx.partners, data.requestId, data.reminder === true);
  if (outcome.kind === 'retry') {
    await ctx.enqueue('notify-partner', { requestId: data.requestId, partnerId: outcome.partnerId },
      deliveryJobId(data.requestId, outcome.attempts), { delayMs: outcome.delayMs });
  }
  return outcome;
};
