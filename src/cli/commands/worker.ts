import type { Command } from './index.ts';
import { optionalString, parseFlags } from '../args.ts';
import { watchForStop } from '../signals.ts';
import { loadConfig } from '../../config.ts';
import { UsageError } from '../../errors.ts';
import { assertStoreCredentials } from '../../objects/stores.ts';
import { loadRuleset, withRuntime } from '../runtime.ts';
import { startWorkerService } from '../../pipeline/service.ts';
import { QUEUE_NAMES, assertRedisAnswers, type QueueName } from '../../pipeline/queues.ts';
import { registry } from '../../../jobs/index.ts';

export const workerCommand: Command = {
  help: `Usage: lethe worker [--queues scan,purge] [--policies DIR]

Runs BullMQ workers for the given queues (default: all) and keeps one job scheduler per policy
(LETHE_SCAN_EVERY, default PT15M; one worker process leads, the others follow). On SIGTERM or
SIGINT it finishes the batches in flight and exits 0.

Examples:
  npx lethe worker
  LETHE_CONCURRENCY=4 npx lethe worker --queues purge`,
  async run(args, io) {
    const { flags } = parseFlags('worker', args, { queues: { type: 'string' }, policies: { type: 'string' } });
    const queues = parseQueues(optionalString(flags, 'queues'));
    // Listen before starting anything: a SIGTERM during start-up still ends in a clean exit 0.
    const stop = watchForStop();
    try {
      const cfg = loadConfig({ database: true, secret: true });
      await assertRedisAnswers(cfg.redisUrl);
      return await withRuntime(cfg, async (rt) => {
        const rules = await loadRuleset(rt, optionalString(flags, 'policies') ?? cfg.policiesDir);
        // Every store's credential variables must be set, whichever queues this worker runs.
        assertStoreCredentials(rules.stores);
        const service = await startWorkerService(rt.ctx, rules, cfg, registry, queues);
        rt.log.info({ queues, policies: rules.policies.map((p) => p.id) }, 'worker started');
        io.err(`lethe worker: running queues ${queues.join(', ')} for ${rules.policies.length} policies (SIGTERM or Ctrl-C to stop)`);
        const why = await stop.requested;
        rt.log.info({ signal: why }, 'stopping: finishing the batches in flight');
        await service.stop();
        rt.log.info('worker stopped');
        return 0;
      });
    } finally {
      stop.dispose();
    }
  },
};

function parseQueues(text: string | undefined): QueueName[] {
  if (text === undefined) return [...QUEUE_NAMES];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !QUEUE_NAMES.includes(n as QueueName));
  if (bad.length > 0 || names.length === 0) {
    throw new UsageError(`lethe worker: --queues "${text}" names unknown queues; allowed: ${QUEUE_NAMES.join(', ')}`);
  }
  return names as QueueName[];
}
