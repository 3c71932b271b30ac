// lethe as an operator launches it: the executable (so its shebang's node flags apply), in a
// process of its own whose peak RSS (VmHWM) is sampled while it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { settle, url } from './db.ts';

export const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

export interface LetheRun {
  seconds: number;
  peakRssMb: number;
  output: string;
  /** CPU the lethe process used (user + system), as last sampled before it exited. */
  cpuSeconds: number;
  /** CPU the whole machine used meanwhile: lethe, PostgreSQL and the rest. */
  machineCpuSeconds: number;
}

export interface LetheEnv {
  db: string;
  policies: string;
  batch: string;
  concurrency: string;
  prefix: string;
  /** More variables (e.g. LETHE_DROP_PARTITIONS). */
  extra?: Record<string, string>;
}

function env(e: LetheEnv): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: url(e.db), LETHE_SECRET: SECRET, LETHE_POLICIES: e.policies,
    LETHE_BATCH_SIZE: e.batch, LETHE_CONCURRENCY: e.concurrency, LETHE_QUEUE_PREFIX: e.prefix,
    LETHE_SCAN_EVERY: 'PT1H', LOG_LEVEL: 'warn', ...e.extra };
}

const TICKS_PER_SECOND = 100;

/** CPU seconds the machine has spent busy since boot (every state but idle and iowait). */
function machineBusySeconds(): number {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = f.map(Number);
  return (n.reduce((a, b) => a + b, 0) - n[3]! - n[4]!) / TICKS_PER_SECOND;
}

/** Samples a process's peak RSS and CPU time every 50 ms; `stop` returns the peak in MB and the last CPU seen. */
function sampleProcess(child: ChildProcess): { stop(): number; cpuSeconds(): number } {
  let peakKb = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
      // utime and stime: the 14th and 15th fields, after the command name in parentheses.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks = Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }, 50);
  return { stop: () => { clearInterval(timer); return peakKb / 1024; }, cpuSeconds: () => ticks / TICKS_PER_SECOND };
}

/** Runs one lethe command to completion; rejects on a non-zero exit. */
export async function runLethe(args: string[], e: LetheEnv): Promise<LetheRun> {
  await settle();
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const busy = machineBusySeconds();
    const child = spawn('bin/lethe.js', args, { env: env(e), stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const rss = sampleProcess(child);
    child.stdout!.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const peakRssMb = rss.stop();
      if (code !== 0) reject(new Error(`lethe ${args.join(' ')} exited ${code}`));
      else resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb, output,
        cpuSeconds: rss.cpuSeconds(), machineCpuSeconds: machineBusySeconds() - busy });
    });
  });
}

export interface WorkerFleet {
  /** SIGTERM to each (finishes its batch), then the highest peak RSS among them. */
  stop(): Promise<number>;
}

/** `n` long-running `lethe worker` processes sharing one queue prefix. */
export function startWorkers(n: number, e: LetheEnv): WorkerFleet {
  const procs = Array.from({ length: n }, () => {
    const child = spawn('bin/lethe.js', ['worker'], { env: env(e), stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    return { child, rss: sampleProcess(child), exited };
  });
  return {
    async stop() {
      for (const p of procs) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
      return Math.max(...procs.map((p) => p.rss.stop()));
    },
  };
}
