// Per-deployment periods without editing the pack: an override file (LETHE_POLICY_OVERRIDES)
// maps policy ids to a new `retain` and/or a longer `minimum`:
//
//   rejected-loan-applications: { retain: P14D }
//   sales-recordings: { retain: P10Y, minimum: P5Y }
//
// An override may lengthen a statutory floor, never shorten one, may not set `retain` below
// the floor, and may not set either past the policy's `maximum` (a legal ceiling). An overridden policy is a different rule, so it gets a different version:
// the override is appended to the policy's text as a comment and the version is the hash of
// that text — evidence then names, in lethe.policy_versions, exactly what applied.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PolicyError, type PolicyProblem, type SourcePosition } from '../errors.ts';
import { approximateDays, parseDuration, type Duration } from '../duration.ts';
import type { Policy } from './types.ts';
import { durationText } from './schema.ts';
import { Locator } from './positions.ts';
import { issueProblems } from './problems.ts';
import { loadPolicies } from './load.ts';
import { beyondMaximum } from './ceiling.ts';

const duration = durationText;
const entry = z.strictObject({ retain: duration.optional(), minimum: duration.optional() }, {
  error: (iss) => (iss.code === 'unrecognized_keys' ? 'retain, minimum' : 'must be a mapping: { retain: P90D } or { minimum: P10Y }'),
}).refine((o) => o.retain !== undefined || o.minimum !== undefined, 'must set retain, minimum or both');
const overridesSchema = z.record(z.string(), entry);

const days = (d: Duration) => approximateDays(d);
const where = (p: Policy, path: string): string => {
  const pos = p.positions[path];
  return pos ? `${basename(pos.file)}:${pos.line}` : basename(p.file);
};

/** Applies `file`'s overrides to `policies`; without a file, returns them unchanged. */
export async function applyOverrides(policies: Policy[], file: string | undefined): Promise<Policy[]> {
  if (file === undefined) return policies;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new PolicyError([{ file, line: 1, col: 1, message: `cannot read the override file (LETHE_POLICY_OVERRIDES): ${(e as Error).message}` }]);
  }
  return applyOverrideText(policies, text, file);
}

/** The same from the file's text; `file` names it in messages. */
export function applyOverrideText(policies: Policy[], text: string, file: string): Policy[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lines, file, text.length);
  if (doc.errors.length > 0) {
    throw new PolicyError(doc.errors.map((e) => ({ ...loc.at(e.pos[0]), message: `YAML: ${e.message}` })));
  }
  if (doc.contents === null) return policies; // an empty file overrides nothing
  if (!isMap(doc.contents)) {
    throw new PolicyError([{ ...loc.top(), message: 'the override file is a mapping of policy ids: { <policy-id>: { retain: P90D } }' }]);
  }
  const data: unknown = doc.toJS();
  const shape = overridesSchema.safeParse(data);
  if (!shape.success) throw new PolicyError(issueProblems(shape.error.issues, data, loc));

  const byId = new Map(policies.map((p) => [p.id, p]));
  const problems: PolicyProblem[] = [];
  const changed = new Map<string, Policy>();
  for (const [id, o] of Object.entries(shape.data)) {
    const at = (path: (string | number)[]): SourcePosition => loc.value(path) ?? loc.top();
    const problem = (path: (string | number)[], message: string) => problems.push({ ...at(path), message });
    const p = byId.get(id);
    if (!p) {
      const keyPos = doc.contents.items.find((i) => isScalar(i.key) && String(i.key.value) === id);
      const pos = keyPos && isScalar(keyPos.key) && keyPos.key.range ? loc.at(keyPos.key.range[0]) : loc.top();
      problems.push({ ...pos, message: `"${id}" is not a loaded policy; loaded: ${[...byId.keys()].join(', ')}` });
      continue;
    }
    const retain = o.retain === undefined ? p.retain : (parseDuration(o.retain) as Duration);
    let minimum = p.minimum;
    if (o.minimum !== undefined) {
      const period = parseDuration(o.minimum) as Duration;
      if (!p.minimum) {
        problem([id, 'minimum'], `${id}.minimum: the policy has no statutory minimum to lengthen; a new floor needs its own from and basis, in the policy file (${basename(p.file)})`);
        continue;
      }
      if (days(period) < days(p.minimum.period)) {
        problem([id, 'minimum'], `${id}.minimum ${period.iso} is shorter than the policy's minimum ${p.minimum.period.iso} (${where(p, 'minimum.period')}): an override may lengthen a statutory floor, never shorten it`);
        continue;
      }
      minimum = { ...p.minimum, period };
    }
    const retainCeiling = o.retain !== undefined ? beyondMaximum(`${id}.retain`, retain, p.maximum) : undefined;
    const floorCeiling = o.minimum !== undefined && minimum ? beyondMaximum(`${id}.minimum`, minimum.period, p.maximum) : undefined;
    if (retainCeiling || floorCeiling) {
      problem([id, retainCeiling ? 'retain' : 'minimum'],
        `${retainCeiling ?? floorCeiling}; the maximum is the policy's (${where(p, 'maximum.period')}), and an override may not lift it`);
      continue;
    }
    if (minimum && days(retain) < days(minimum.period)) {
      const path = o.retain !== undefined ? [id, 'retain'] : [id, 'minimum'];
      problem(path, `${id}: retain ${retain.iso} would be shorter than the minimum ${minimum.period.iso}: an override may not set retention below the statutory floor (${where(p, 'minimum.period')})`);
      continue;
    }
    changed.set(id, withOverride(p, { retain, minimum, o, pos: { retain: o.retain === undefined ? undefined : at([id, 'retain']), minimum: o.minimum === undefined ? undefined : at([id, 'minimum']) }, file }));
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return policies.map((p) => changed.get(p.id) ?? p);
}

interface Change {
  retain: Duration;
  minimum: Policy['minimum'];
  o: { retain?: string | undefined; minimum?: string | undefined };
  pos: { retain: SourcePosition | undefined; minimum: SourcePosition | undefined };
  file: string;
}

function withOverride(p: Policy, c: Change): Policy {
  const lines = [`# Overridden for this deployment by ${basename(c.file)} (LETHE_POLICY_OVERRIDES):`];
  if (c.o.retain !== undefined) lines.push(`#   retain: ${c.o.retain}   (policy file: ${p.retain.iso})`);
  if (c.o.minimum !== undefined) lines.push(`#   minimum.period: ${c.o.minimum}   (policy file: ${p.minimum!.period.iso})`);
  const text = `${p.text.endsWith('\n') ? p.text : `${p.text}\n`}${lines.join('\n')}\n`;
  const positions = { ...p.positions };
  if (c.pos.retain) positions['retain'] = c.pos.retain;
  if (c.pos.minimum) positions['minimum.period'] = c.pos.minimum;
  return {
    ...p,
    retain: c.retain,
    minimum: c.minimum,
    text,
    version: createHash('sha256').update(text).digest('hex'),
    positions,
  };
}

/** The policies of `dir` with the deployment's overrides applied: what every command should load. */
export async function loadPoliciesWithOverrides(dir: string, overridesFile: string | undefined): Promise<Policy[]> {
  return applyOverrides(await loadPolicies(dir), overridesFile);
}

/** True when an override set this policy's `retain` (its position is in the override file). */
export function isOverridden(p: Policy, path: 'retain' | 'minimum.period'): boolean {
  const pos = p.positions[path];
  return pos !== undefined && pos.file !== p.file;
}
