// When a long-running command (worker, serve) should stop: SIGTERM, SIGINT or SIGHUP, or the
// process that started it is gone. `npx lethe worker` and `npm run lethe -- worker` put npm and
// a shell between the user and node; on SIGTERM npm exits at once and the shell dies without
// passing the signal on, which used to leave the worker running as an orphan. Watching the
// parent makes the process stop gracefully however it was started.

/** How often the parent is looked at: a second's delay in noticing an orphaned worker is fine. */
const PARENT_POLL_MS = 500;

export type StopReason = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'parent exited';

export interface StopWatch {
  /** Resolves with the first reason to stop. A second signal after it ends the process at once. */
  readonly requested: Promise<StopReason>;
  dispose(): void;
}

export function watchForStop(): StopWatch {
  const parent = process.ppid;
  let timer: NodeJS.Timeout | undefined;
  const handlers: [NodeJS.Signals, () => void][] = [];
  const requested = new Promise<StopReason>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const h = () => resolve(signal);
      handlers.push([signal, h]);
      // once: the second Ctrl-C finds no listener and Node's default ends the process; a purge
      // transaction cut short that way rolls back, nothing half-destroyed.
      process.once(signal, h);
    }
    // Started directly by init (a container's entrypoint, systemd): there is no parent to lose.
    if (parent > 1) {
      timer = setInterval(() => {
        if (process.ppid !== parent) resolve('parent exited');
      }, PARENT_POLL_MS);
      timer.unref();
    }
  });
  void requested.then(() => clearInterval(timer));
  return {
    requested,
    dispose() {
      clearInterval(timer);
      for (const [signal, h] of handlers) process.removeListener(signal, h);
    },
  };
}
