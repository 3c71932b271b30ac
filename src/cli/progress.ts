// A one-line progress bar on stderr, redrawn in place; only when stderr is a terminal and the
// output is for a person (never with --json, never into a log file or pipe).
import type { Io } from './output.ts';

const BAR_WIDTH = 24;

/** `[#########---------------]  9/24` — the bar is full only when every part is done. */
export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = done >= total && total > 0 ? width : Math.min(width - 1, Math.floor(ratio * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`;
}

export interface ProgressLine {
  /** False where nothing is drawn: a caller need not compute what it would show. */
  readonly enabled: boolean;
  update(text: string): void;
  end(): void;
}

/** Draws over the same line; `end()` moves past it. A no-op where stderr is not a terminal. */
export function progressLine(io: Io, enabled: boolean): ProgressLine {
  if (!enabled || !io.isTTY || !io.progress) return { enabled: false, update: () => {}, end: () => {} };
  const draw = io.progress;
  let drawn = false;
  return {
    enabled: true,
    update(text) {
      draw(`\r${text}\x1b[K`);
      drawn = true;
    },
    end() {
      if (drawn) draw('\n');
    },
  };
}
