// Scans one policy page by page; each page becomes a batch row and a purge-batch job.
import { UnrecoverableError } from 'bullmq';
import type { Processor } from '../src/pipeline/workers.ts';
import { scanPage } from '../src/destroy/scan.ts';
import { failScan, startScheduledScan } from '../src/pipeline/scheduled.ts';
import { describeError } from '../src/log.ts';

export const scanPolicy: Processor<'scan-policy'> = async (data, ctx) => {
  const policy = ctx.rules.get(data.policyId);
  if (!policy) throw new UnrecoverableError(`policy ${data.policyId} is not loaded by this worker`);
  const scanId = data.scanId ?? (await startScheduledScan(ctx, policy));
  if (!scanId) return { skipped: 'an earlier scan of this policy is still open' };
  let pages = 0;
  try {
    for (;;) {
      // Closing: stop between pages; the scan's cursor is committed, a later job resumes it.
      if (ctx.signal.aborted) return { scanId, pages, paused: true };
      const step = await scanPage(ctx, ctx.rules, scanId, ctx.config.batchSize);
      if (step.kind === 'done') return { scanId, pages };
      await ctx.enqueue('purge-batch', { batchId: step.batchId }, step.batchId);
      pages++;
    }
  } catch (e) {
    if (ctx.job.isLastAttempt) await failScan(ctx, scanId, describeError(e));
    throw e;
  }
};
