import type { Command } from './index.ts';
import { parseFlags } from '../args.ts';
import { loadConfig } from '../../config.ts';
import { withRuntime } from '../runtime.ts';
import { printJson, table } from '../output.ts';
import { objectsStatus } from '../../objects/status.ts';
import { localTime } from '../../time.ts';

export const objectsStatusCommand: Command = {
  help: `Usage: lethe objects status [--json]

Per store of the store registry (LETHE_STORES, default ./stores.yaml): files whose records were
destroyed and that are still pending deletion, deleted, failed (the store refused, e.g.
Object Lock or a retention period, or gave up after its last attempt), and kept (a record lethe
keeps — not due, held — still points to the file; asked again when that file is deleted, and daily). Then every pending file
with its attempts and last error, and every failed one: an operator must follow those up.
Files are shown by their deletion id and object ref, never by key or URI; times in
LETHE_TIMEZONE (--json: ISO 8601 UTC). Exit 0 whatever the state: this reports, it does not judge.

Examples:
  npx lethe objects status
  npx lethe objects status --json | jq '.failed[] | .error'`,
  async run(args, io) {
    const { flags } = parseFlags('objects status', args, { json: { type: 'boolean' } });
    const cfg = loadConfig({ database: true, secret: true });
    return withRuntime(cfg, async (rt) => {
      const s = await objectsStatus(rt.database.db, rt.ctx.clock.now());
      if (flags.json) {
        printJson(io, s);
        return 0;
      }
      if (s.stores.length === 0) io.out('no files to delete: no destroyed record pointed to object storage');
      else io.out(table(['store', 'pending', 'oldest pending', 'deleted', 'failed', 'kept'],
        s.stores.map((c) => [c.store, String(c.pending), c.pending > 0 ? `${c.oldest_pending_seconds} s` : '', String(c.deleted), String(c.failed), String(c.kept)])));
      if (s.pending.length > 0) {
        io.out('\npending (lethe worker retries these):');
        io.out(table(['deletion', 'store', 'policy', 'attempts', 'waiting', 'next attempt', 'last error'],
          s.pending.map((p) => [p.deletion_id, p.store, p.policy, String(p.attempts), p.waiting_for, localTime(p.at, cfg.timeZone), p.error ?? ''])));
      }
      if (s.failed.length > 0) {
        io.out('\nfailed (an operator must follow these up):');
        io.out(table(['deletion', 'store', 'policy', 'object', 'failed_at', 'error'],
          s.failed.map((f) => [f.deletion_id, f.store, f.policy, f.object_ref.slice(0, 16), localTime(f.at, cfg.timeZone), f.error ?? ''])));
      }
      return 0;
    });
  },
};
