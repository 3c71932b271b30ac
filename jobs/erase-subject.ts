// Carries out one erasure request: every policy for the subject, in bounded transactions.
import type { Processor } from '../src/pipeline/workers.ts';
import { executeErasure } from '../src/erasure/execute.ts';
import { setStatus } from '../src/erasure/requests.ts';
import { describeError } from '../src/log.ts';

export const eraseSubject: Processor<'erase-subject'> = async (data, ctx) => {
  try {
    return { status: await executeErasure(ctx, ctx.rules, data.requestId, { batchSize: ctx.config.batchSize, taskDue: ctx.config.taskDue, enqueue: ctx.enqueue }) };
  } catch (e) {
    // What committed stays committed (with its evidence); the request shows as failed and can
    // be run again, resuming its open scans.
    if (ctx.job.ends(e)) await setStatus(ctx.db, data.requestId, 'failed', { error: describeError(e) });
    throw e;
  }
};
