// The README is the user's manual: every variable lethe reads is in its configuration table,
// every command is mentioned, its links stay inside the repository, and its contents list
// points at headings that exist.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../src/config.ts';
import { COMMANDS } from '../src/cli/commands/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n### ${title}\n`);
  return readme.slice(start, readme.indexOf('\n### ', start + 1));
};

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');

describe('README', () => {
  it('documents every environment variable in the configuration table', () => {
    const table = section('Configuration');
    const missing = ENV_VARIABLES.filter((v) => !table.includes(`| \`${v}\` |`));
    expect(missing).toEqual([]);
  });

  it('mentions every command', () => {
    expect(COMMANDS.filter((c) => !readme.includes(`lethe ${c.name}`)).map((c) => c.name)).toEqual([]);
  });

  it('lists every section and subsection in its contents', () => {
    const contents = readme.slice(readme.indexOf('\n## Contents\n'), readme.indexOf('\n## ', readme.indexOf('\n## Contents\n') + 5));
    const headings = [...readme.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!).filter((h) => h !== 'Contents');
    expect(headings.filter((h) => !contents.includes(`](#${slug(h)})`))).toEqual([]);
  });

  it('links only inside the repository, to files that exist and headings that exist', () => {
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
    for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:\/\//.test(target!)) continue;
      if (target!.startsWith('#')) {
        expect(anchors, target).toContain(target!.slice(1));
        continue;
      }
      expect(target, 'a link leaving the repository').not.toMatch(/^(\.\.\/|\/)/);
      expect(existsSync(`${ROOT}${target!.split('#')[0]}`), target).toBe(true);
    }
    expect(readme).not.toMatch(/\.\.\/shared\//);
  });
});
