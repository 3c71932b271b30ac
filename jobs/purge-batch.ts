// Destroys one batch in one transaction, with its evidence.
import type { Processor } from '../src/pipeline/workers.ts';
import { failBatch, purgeBatch } from '../src/destroy/purge.ts';
import { PolicyChangedError } from '../src/destroy/scan.ts';
import { describeError } from '../src/log.ts';

export const purgeBatchJob: Processor<'purge-batch'> = async (data, ctx) => {
  try {
    const outcome = await purgeBatch(ctx, ctx.rules, data.batchId);
    ctx.log.debug({ batchId: data.batchId, ...outcome }, 'batch purged');
    return outcome;
  } catch (e) {
    // Nothing was destroyed (the transaction rolled back). After the last attempt the batch is
    // closed as failed so a sweep can report it; the next scan finds the records again.
    if (ctx.job.isLastAttempt || e instanceof PolicyChangedError) await failBatch(ctx, data.batchId, describeError(e));
    throw e;
  }
};
