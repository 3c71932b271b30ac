// Scans one policy: its due records become batch rows and purge-batch jobs (a manual policy's
// scan opens destruction tasks instead).
import { UnrecoverableError } from 'bullmq';
import type { Processor } from '../src/pipeline/workers.ts';
import { runScan } from '../src/destroy/scan.ts';
import { handOff } from '../src/destroy/execute.ts';
import { openTasksForScan } from '../src/tasks/open.ts';
import { failScan, startScheduledScan } from '../src/pipeline/scheduled.ts';
import { describeError } from '../src/log.ts';

export const scanPolicy: Processor<'scan-policy'> = async (data, ctx) => {
  const policy = ctx.rules.get(data.policyId);
  if (!policy) throw new UnrecoverableError(`policy ${data.policyId} is not loaded by this worker`);
  let scanId = data.scanId;
  if (!scanId) {
    // A scheduler tick: this job takes the policy's own scan, a job of its own each further one.
    const [first, ...more] = await startScheduledScan(ctx, policy);
    if (!first) return { skipped: 'an earlier scan of this policy is still open' };
    for (const id of more) await ctx.enqueue('scan-policy', { policyId: policy.id, scanId: id }, id);
    scanId = first;
  }
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    // Paper and media: due register rows go into destruction tasks for people, never into batches.
    if (policy.action.kind === 'manual') {
      const opened = await openTasksForScan(ctx, ctx.rules, scanId, ctx.config.taskDue);
      ctx.log.info({ policy: policy.id, tasked: opened.added, held: opened.held, ms: ms(), scan: scanId }, 'scan finished: due register rows put into destruction tasks');
      return { scanId, tasks: opened.tasks, lines: opened.added, held: opened.held, unmapped: opened.unmapped };
    }
    // Closing: the scan stops between batches with its cursor committed; a later job resumes it.
    const result = await runScan(ctx, ctx.rules, scanId, {
      batchSize: ctx.config.batchSize, signal: ctx.signal,
      onBatch: (batchId) => ctx.enqueue('purge-batch', { batchId }, batchId),
      ...(ctx.config.dropPartitions ? { partitions: { onDropped: (d) => handOff(d, ctx.enqueue), lanes: ctx.config.concurrency } } : {}),
    });
    if (result.status === 'done') ctx.log.info({ policy: policy.id, records: result.records, batches: result.batches, ms: ms(), scan: scanId }, 'scan finished');
    return { scanId, ...result };
  } catch (e) {
    if (ctx.job.ends(e)) await failScan(ctx, scanId, describeError(e));
    throw e;
  }
};
