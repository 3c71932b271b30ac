// Destroys one batch in one transaction, with its evidence.
import type { Processor } from '../src/pipeline/workers.ts';
import { failBatch } from '../src/destroy/purge.ts';
import { PolicyChangedError } from '../src/destroy/scan.ts';
import { purgeAndCheck } from '../src/destroy/post-check.ts';
import { describeError } from '../src/log.ts';
import { deliveryJobId } from '../src/partners/sweep.ts';
import { deletionJobId } from '../src/objects/sweep.ts';
import { recordPurgeTime } from '../src/pipeline/timing.ts';

export const purgeBatchJob: Processor<'purge-batch'> = async (data, ctx) => {
  try {
    const started = performance.now();
    // purgeBatch, then the post-destruction check once committed: a survivor is reported, not retried.
    const outcome = await purgeAndCheck(ctx, ctx.rules, data.batchId);
    const ms = Math.round(performance.now() - started);
    if (outcome.status === 'done') {
      // The operator's one line per batch: which policy, how many records, how long.
      const policy = await recordPurgeTime(ctx.db, data.batchId, ms);
      const { partnerRequests, objectDeletions, status: _status, ...counts } = outcome;
      ctx.log.info({ policy, records: outcome.destroyed + outcome.anonymised, ms, ...counts,
        partnerRequests: partnerRequests?.length, objectDeletions: objectDeletions?.length, batch: data.batchId }, 'batch purged');
    }
    // After commit only: a request never leaves before its destruction. Lost here, the sweep re-enqueues it.
    for (const r of outcome.partnerRequests ?? []) {
      await ctx.enqueue('notify-partner', { requestId: r.id, partnerId: r.partnerId }, deliveryJobId(r.id, 0));
    }
    // Likewise a file is deleted only once its record's destruction committed.
    for (const d of outcome.objectDeletions ?? []) {
      await ctx.enqueue('delete-object', { deletionId: d.id, storeId: d.storeId }, deletionJobId(d.id, 0));
    }
    // The return value is kept in Redis: counts only.
    return { ...outcome, partnerRequests: outcome.partnerRequests?.length, objectDeletions: outcome.objectDeletions?.length };
  } catch (e) {
    // Nothing was destroyed (the transaction rolled back). After the last attempt the batch is
    // closed as failed so a sweep can report it; the next scan finds the records again.
    if (ctx.job.isLastAttempt || e instanceof PolicyChangedError) await failBatch(ctx, data.batchId, describeError(e));
    throw e;
  }
};
