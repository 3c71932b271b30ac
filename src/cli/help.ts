// Help texts built from the command table (src/cli/commands/index.ts): the overview, a group's
// commands (`lethe hold`), and "did you mean" for a mistyped command.
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { closest, didYouMean } from './suggest.ts';
export { version } from '../version.ts';

export function helpText(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lethe — retention enforcement with tamper-evident destruction evidence',
    '',
    'Usage: npx lethe <command> [flags]      (npx lethe <command> --help, or npx lethe help <command>, for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Environment: DATABASE_URL, REDIS_URL, LETHE_SECRET, LETHE_POLICIES, LETHE_OPERATOR, LOG_LEVEL',
    '(every variable: the README\'s Configuration section). npx lethe --version prints the version.',
    'Exit codes: 0 success, 1 the work failed, 2 bad usage or bad input.',
  ].join('\n');
}

/** Commands named `<group> <verb>`. */
export const membersOf = (group: string): CommandEntry[] => COMMANDS.filter((c) => c.name.startsWith(`${group} `));

export function groupHelp(group: string): string {
  const members = membersOf(group);
  const own = COMMANDS.find((c) => c.name === group);
  const all = own ? [own, ...members] : members;
  const w = Math.max(...all.map((c) => c.name.length));
  return [
    `Usage: npx lethe ${group} <command> [flags]`,
    '',
    ...all.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    `npx lethe ${members[0]!.name} --help shows one command's flags and examples.`,
  ].join('\n');
}

/** A command's own help, and the commands of the same name's group, if any (`erase` → `erase list`). */
export function commandHelp(entry: CommandEntry, help: string): string {
  const related = membersOf(entry.name);
  return related.length === 0 ? help : `${help}\n\nAlso: ${related.map((c) => `lethe ${c.name}`).join(', ')}`;
}

/** Candidates for a mistyped command (one or two words), as full command names. */
export function suggestCommands(words: readonly string[]): string[] {
  const names = COMMANDS.map((c) => c.name);
  const groups = [...new Set(names.map((n) => n.split(' ')[0]!))];
  const [first, second] = words;
  const typed = words.slice(0, 2).join(' ');
  const byWhole = closest(typed, names);
  if (byWhole.length > 0) return byWhole;
  // A known group with a mistyped verb, or a mistyped group alone.
  if (second !== undefined && groups.includes(first!)) return closest(`${first} ${second}`, membersOf(first!).map((c) => c.name));
  return closest(first!, groups);
}

export function unknownCommand(words: readonly string[]): string {
  const typed = words.slice(0, 2).join(' ');
  const suggestions = suggestCommands(words).map((s) => `lethe ${s}`);
  return [
    `lethe: unknown command "${typed}".${didYouMean(suggestions)}`,
    'Run `npx lethe --help` for the list of commands.',
  ].join('\n');
}
