// The coverage allow-list: personal data deliberately kept out of every policy, each with the
// reason a DPO signs off on. One YAML list, checked like a policy file: every problem at
// file:line:col, all of them in one pass.
//
//   - table: consents
//     column: customer_id
//     reason: proof of consent (PIPL art. 14) kept for as long as the relationship lasts
//   - table: loans
//     where: { settled_at: { is_null: true } }
//     reason: a loan whose debt is unsettled is kept whole until it is settled
//
// An entry with `column` concerns the column audit, one with `where` the row audit
// (`--rows`: rows of that table no policy governs, matching the conditions); one with neither
// excludes the whole table from both.
import { readFile } from 'node:fs/promises';
import { isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PolicyError, type SourcePosition } from '../errors.ts';
import { Locator } from './positions.ts';
import { issueProblems } from './problems.ts';
import { tableRef, whereConditions } from './resolve.ts';
import { whereMap } from './schema.ts';
import type { WhereCondition } from './types.ts';

/** Read when present and no --allow is given, relative to the working directory. */
export const DEFAULT_ALLOW_FILE = 'coverage-allow.yaml';
const MIN_REASON_CHARS = 10;

export interface AllowEntry {
  schema: string;
  table: string;
  /** Absent: the whole table (every column and every foreign key of it). */
  column: string | undefined;
  /** Rows of the table this entry allows in the row audit; undefined for a column or table entry. */
  where: WhereCondition[] | undefined;
  reason: string;
  at: SourcePosition;
}

// Catalog names may be mixed case here (a policy could never name them, so this is the only
// place they can be excluded); they are compared exactly, never put into SQL.
const NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const NOT_NAME = 'is not a table or column name (letters, digits, _ and $, starting with a letter or _)';
const entrySchema = z.strictObject({
  table: z.string().refine((s) => s.split('.').length <= 2 && s.split('.').every((p) => NAME.test(p)), NOT_NAME),
  column: z.string().regex(NAME, NOT_NAME).optional(),
  where: whereMap.refine((o) => Object.keys(o).length > 0, 'must name at least one column').optional(),
  reason: z.string().trim().min(MIN_REASON_CHARS, `is too short to be a reason: say why this personal data is deliberately kept (at least ${MIN_REASON_CHARS} characters)`),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? 'table, column, where, reason' : undefined) });
const allowSchema = z.array(entrySchema);

export async function loadAllowList(file: string): Promise<AllowEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new PolicyError([{ file, line: 1, col: 1, message: `cannot read the coverage allow-list: ${(e as Error).message}` }]);
  }
  return parseAllowList(text, file);
}

export function parseAllowList(text: string, file: string): AllowEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lines, file, text.length);
  if (doc.errors.length > 0) {
    throw new PolicyError(doc.errors.map((e) => ({ ...loc.at(e.pos[0]), message: `YAML: ${e.message}` })));
  }
  if (doc.contents === null) return []; // an empty file allows nothing
  if (!isSeq(doc.contents)) {
    throw new PolicyError([{ ...loc.top(), message: 'the allow-list is a list of entries: - { table: t, column: c, reason: why it is kept }' }]);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = allowSchema.safeParse(data);
  if (!parsed.success) throw new PolicyError(issueProblems(parsed.error.issues, data, loc));
  const entries = parsed.data.map((e, i) => ({
    ...tableRef(e.table), column: e.column, where: e.where === undefined ? undefined : whereConditions(e.where),
    reason: e.reason.trim(), at: loc.value([i]) ?? loc.top(),
  }));
  const seen = new Map<string, AllowEntry>();
  const problems = [];
  for (const [i, e] of entries.entries()) {
    if (e.column !== undefined && e.where !== undefined) {
      problems.push({ ...(loc.key([i, 'where']) ?? e.at), message: 'an entry names a column (column audit) or rows (where, for --rows), not both: write two entries' });
      continue;
    }
    // Row entries may overlap: each is a predicate with its own reason.
    if (e.where !== undefined) continue;
    const id = `${e.schema}.${e.table}.${e.column ?? '*'}`;
    const first = seen.get(id);
    if (first) problems.push({ ...e.at, message: `${id.replace(/\.\*$/, '')} is already allowed at line ${first.at.line}` });
    else seen.set(id, e);
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return entries;
}

/** `schema.table` or `schema.table.column`: how findings and entries name what they cover (row entries never). */
export function allowMatches(e: AllowEntry, table: string, columns: readonly string[]): boolean {
  return e.where === undefined && `${e.schema}.${e.table}` === table && (e.column === undefined || columns.includes(e.column));
}
