// Destroys one batch in one transaction, with its evidence.
import type { Processor } from '../src/pipeline/workers.ts';
import { failBatch } from '../src/destroy/purge.ts';
import { executeBatch } from '../src/destroy/execute.ts';
import { describeError } from '../src/log.ts';
import { recordPurgeTime } from '../src/pipeline/timing.ts';

export const purgeBatchJob: Processor<'purge-batch'> = async (data, ctx) => {
  try {
    const started = performance.now();
    const outcome = await executeBatch(ctx, ctx.rules, data.batchId, ctx.enqueue);
    const ms = Math.round(performance.now() - started);
    // The return value is kept in Redis (and logged): counts only.
    const { partnerRequests, objectDeletions, status: _status, ...counts } = outcome;
    const summary = { ...counts, partnerRequests: partnerRequests?.length ?? 0, objectDeletions: objectDeletions?.length ?? 0 };
    if (outcome.status === 'done') {
      // The operator's one line per batch: which policy, how many records, how long.
      const policy = await recordPurgeTime(ctx.db, data.batchId, ms);
      ctx.log.info({ policy, records: outcome.destroyed + outcome.anonymised, ms, ...summary, batch: data.batchId }, 'batch purged');
    }
    return { status: outcome.status, ...summary };
  } catch (e) {
    // Nothing was destroyed (the transaction rolled back). After the last attempt the batch is
    // closed as failed so a sweep can report it; the next scan finds the records again.
    if (ctx.job.ends(e)) await failBatch(ctx, data.batchId, describeError(e));
    throw e;
  }
};
