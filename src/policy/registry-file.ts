// The YAML registries beside the policies (partners.yaml, stores.yaml): read, parsed with
// positions, YAML errors reported at file:line:col like policy files.
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { PolicyError } from '../errors.ts';
import { Locator } from './positions.ts';

/** The file's text; undefined when it does not exist (no registry = nothing registered). */
export function readRegistryText(file: string, what: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError([{ file, line: 1, col: 1, message: `cannot read ${what}: ${(e as Error).message}` }]);
  }
}

/** Parses with positions; throws PolicyError on a YAML syntax error. */
export function parseRegistryDocument(text: string, file: string): { doc: Document; loc: Locator } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lines, file, text.length);
  if (doc.errors.length > 0) throw new PolicyError(doc.errors.map((e) => ({ ...loc.at(e.pos[0]), message: `YAML: ${e.message}` })));
  return { doc, loc };
}
