// Human output: aligned tables on stdout. `--json`: one JSON document on stdout, nothing else.

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress may be drawn. */
  isTTY: boolean;
  /** Raw text to stderr, no newline added: a progress line redrawn with `\r` (src/cli/progress.ts). */
  progress?: (text: string) => void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: Boolean(process.stderr.isTTY),
  progress: (t) => process.stderr.write(t),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function table(headers: string[], rowsIn: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rowsIn.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  // Numbers align right; a blank cell (no such count for that row) does not stop that.
  const numeric = headers.map((_, i) => rowsIn.some((r) => typeof r[i] === 'number') && rowsIn.every((r) => typeof r[i] === 'number' || r[i] === ''));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? pad(c, widths[i]!, true) : pad(c, widths[i]!, false))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Display width: CJK characters take two columns in a terminal. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

function pad(s: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return right ? fill + s : s + fill;
}
