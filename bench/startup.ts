// npm run bench:startup (also the first figure of `npm run bench`): how long `lethe --help`
// takes against bare `node -e 0` on the same machine, run in turn so drift hits both alike.
// The CLI loads a command's modules (bullmq, fastify, pglite…) only when that command runs, so
// help, a typo and --version cost a few times Node's own start-up, not seconds.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `lethe --help` may take at most this many times bare `node -e 0`. */
export const STARTUP_TARGET = 3;

export interface StartupResult {
  runs: number;
  nodeMs: number;
  helpMs: number;
  ratio: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function timeMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function measureStartup(runs = 15): StartupResult {
  timeMs(['-e', '0']);
  timeMs(['bin/lethe.js', '--help']);
  const node: number[] = [];
  const help: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = timeMs(['bin/lethe.js', '--help']);
    const b = timeMs(['-e', '0']);
    help.push(a);
    node.push(b);
    ratios.push(a / b);
  }
  return { runs, nodeMs: median(node), helpMs: median(help), ratio: median(ratios) };
}

export function startupLine(r: StartupResult): string {
  return `start-up               lethe --help ${r.helpMs.toFixed(0)} ms, node -e 0 ${r.nodeMs.toFixed(0)} ms: ${r.ratio.toFixed(2)}×  (target ≤ ${STARTUP_TARGET}×, median of ${r.runs} pairs)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = measureStartup();
  console.log(startupLine(r));
  if (r.ratio > STARTUP_TARGET) process.exitCode = 1;
}
