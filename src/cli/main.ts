// The only place that decides exit codes: 0 success, 1 the work failed, 2 bad usage or input.
// Imports nothing heavy: a command's module is loaded once the command is known.
import { LetheError, PolicyError, formatProblem } from '../errors.ts';
import { processIo, type Io } from './output.ts';
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { commandHelp, groupHelp, helpText, membersOf, suggestCommands, unknownCommand, version } from './help.ts';

const HELP = new Set(['--help', '-h']);
const VERSION = new Set(['--version', '-V', 'version']);

type Resolved =
  | { kind: 'command'; entry: CommandEntry; args: string[] }
  | { kind: 'group'; group: string; rest: string[] }
  | { kind: 'unknown'; words: string[] };

const isWord = (a: string | undefined): a is string => a !== undefined && !a.startsWith('-');

/** Finds the command `argv` names: `hold add …`, `plan …`; a group alone; or nothing. */
export function resolveCommand(argv: readonly string[]): Resolved {
  const [first, second, ...rest] = argv as [string, string | undefined, ...string[]];
  const two = isWord(second) ? COMMANDS.find((c) => c.name === `${first} ${second}`) : undefined;
  if (two) return { kind: 'command', entry: two, args: rest };
  const one = COMMANDS.find((c) => c.name === first);
  const members = membersOf(first);
  // `erase lst`: a command that is also a group, followed by a near miss of one of its verbs.
  if (one && isWord(second) && members.length > 0 && suggestCommands([first, second]).some((s) => s.startsWith(`${first} `))) {
    return { kind: 'unknown', words: [first, second] };
  }
  if (one) return { kind: 'command', entry: one, args: argv.slice(1) };
  if (members.length > 0 && !isWord(second)) return { kind: 'group', group: first, rest: argv.slice(1) };
  return { kind: 'unknown', words: isWord(second) ? [first, second] : [first] };
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || HELP.has(first)) {
    io.out(helpText());
    return first ? 0 : 2;
  }
  if (VERSION.has(first)) {
    io.out(`lethe ${version()} (node ${process.version})`);
    return 0;
  }
  if (first === 'help') return help(argv.slice(1), io);
  const found = resolveCommand(argv);
  if (found.kind === 'unknown') {
    io.err(unknownCommand(found.words));
    return 2;
  }
  if (found.kind === 'group') {
    if (found.rest.some((a) => HELP.has(a))) {
      io.out(groupHelp(found.group));
      return 0;
    }
    io.err(`lethe ${found.group}: which one?\n\n${groupHelp(found.group)}`);
    return 2;
  }
  const { entry, args } = found;
  try {
    const command = await entry.load();
    if (args.some((a) => HELP.has(a))) {
      io.out(commandHelp(entry, command.help));
      return 0;
    }
    return await command.run(args, io);
  } catch (e) {
    return report(e, io, entry.name);
  }
}

/** `lethe help`, `lethe help plan`, `lethe help hold`. */
async function help(words: string[], io: Io): Promise<number> {
  if (words.length === 0) {
    io.out(helpText());
    return 0;
  }
  const found = resolveCommand(words);
  if (found.kind === 'command') {
    io.out(commandHelp(found.entry, (await found.entry.load()).help));
    return 0;
  }
  if (found.kind === 'group') {
    io.out(groupHelp(found.group));
    return 0;
  }
  io.err(unknownCommand(found.words));
  return 2;
}

/**
 * One prefix per message: `lethe plan: …`. Messages that already name their command (`lethe
 * hold add: --subject is required`) keep their own.
 */
function prefixed(message: string, command: string): string {
  return /^lethe[ :]/.test(message) ? message : `lethe ${command}: ${message}`;
}

async function report(e: unknown, io: Io, command: string): Promise<number> {
  if (e instanceof PolicyError) {
    for (const p of e.problems) io.err(formatProblem(p));
    io.err(`lethe ${command}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in policy files; nothing was changed`);
    return 2;
  }
  if (e instanceof LetheError) {
    io.err(prefixed(e.message, command));
    return e.exitCode;
  }
  const unreachable = await databaseUnreachable(e);
  if (unreachable) {
    io.err(prefixed(unreachable.message, command));
    return unreachable.exitCode;
  }
  const { describeError } = await import('../log.ts');
  io.err(prefixed(describeError(e), command));
  return 1;
}

/** A failed connection to DATABASE_URL that a command did not explain itself: name the address and why. */
async function databaseUnreachable(e: unknown): Promise<LetheError | undefined> {
  const [{ unreachable }, { loadConfig }] = await Promise.all([import('../db/reachable.ts'), import('../config.ts')]);
  const url = loadConfig().databaseUrl;
  return url === undefined ? undefined : unreachable(url, e);
}
