// The only place that decides exit codes: 0 success, 1 the work failed, 2 bad usage or input.
import { LetheError, PolicyError, formatProblem } from '../errors.ts';
import { describeError } from '../log.ts';
import { processIo, type Io } from './output.ts';
import { COMMANDS, helpText, type Command } from './commands/index.ts';

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [first, second, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    io.out(helpText());
    return first ? 0 : 2;
  }
  const command = resolve(first, second);
  if (!command) {
    io.err(`lethe: unknown command "${[first, second].filter(Boolean).join(' ')}"\n\n${helpText()}`);
    return 2;
  }
  const args = command.name.includes(' ') ? rest : [second, ...rest].filter((a): a is string => a !== undefined);
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    return report(e, io);
  }
}

function resolve(first: string, second: string | undefined): Command | undefined {
  return COMMANDS.find((c) => c.name === `${first} ${second ?? ''}`.trim()) ?? COMMANDS.find((c) => c.name === first);
}

function report(e: unknown, io: Io): number {
  if (e instanceof PolicyError) {
    for (const p of e.problems) io.err(formatProblem(p));
    io.err(`lethe: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in policy files; nothing was changed`);
    return 2;
  }
  if (e instanceof LetheError) {
    io.err(`lethe: ${e.message}`);
    return e.exitCode;
  }
  io.err(`lethe: ${describeError(e)}`);
  return 1;
}
