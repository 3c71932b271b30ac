// Trigger and action kinds are modules in typed registries, as jobs are: a new kind is one file
// and one registry line. These checks keep the registries and the folders in step, and show
// that what a policy file accepts comes from the registry, not from a list kept elsewhere.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TRIGGERS, TRIGGER_KINDS } from '../../src/policy/triggers/index.ts';
import { ACTIONS } from '../../src/destroy/actions/index.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { PolicyError } from '../../src/errors.ts';

const moduleFiles = (dir: string) => readdirSync(fileURLToPath(new URL(dir, import.meta.url)))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts').sort();

/** Every module a file of the folder exports, found among the registry's values. */
async function exportedModules(dir: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of moduleFiles(dir)) {
    const mod = (await import(new URL(`${dir}/${f}`, import.meta.url).href)) as Record<string, unknown>;
    out.push(...Object.values(mod).filter((v) => typeof v === 'object' && v !== null && 'kind' in v && 'resolve' in v));
  }
  return out;
}

const BASE = (trigger: string, action = 'delete') => `id: sample
title: 样例
category: c
classification: C2
basis: [个人信息保护法 第四十七条]
source: { table: apps, key: id, subject: customer_id }
trigger: ${trigger}
retain: P30D
action: ${action}
`;
const problems = (text: string): string[] => {
  try {
    parsePolicy(text, 'policies/sample.yaml');
    return [];
  } catch (e) {
    return (e as PolicyError).problems.map((p) => p.message);
  }
};

describe('trigger and action registries', () => {
  it('register one module per file of src/policy/triggers/ and src/destroy/actions/, and nothing else', async () => {
    const triggers = await exportedModules('../../src/policy/triggers');
    expect(triggers).toHaveLength(moduleFiles('../../src/policy/triggers').length);
    expect(new Set(triggers)).toEqual(new Set(Object.values(TRIGGERS)));
    const actions = await exportedModules('../../src/destroy/actions');
    expect(actions).toHaveLength(moduleFiles('../../src/destroy/actions').length);
    expect(new Set(actions)).toEqual(new Set(Object.values(ACTIONS)));
    for (const [kind, m] of Object.entries({ ...TRIGGERS, ...ACTIONS })) expect(m.kind).toBe(kind);
  });

  it('a policy file accepts exactly the registered kinds, and says which', () => {
    for (const kind of TRIGGER_KINDS) {
      expect(problems(BASE(`{ kind: ${kind} }`)).join('\n')).not.toMatch(/trigger\.kind .* must be/);
    }
    expect(problems(BASE('{ kind: schedule }'))).toEqual([`trigger.kind "schedule" must be ${TRIGGER_KINDS.slice(0, -1).join(', ')} or ${TRIGGER_KINDS.at(-1)}`]);
    const syntaxes = Object.values(ACTIONS).map((m) => m.syntax);
    expect(problems(BASE('{ kind: expiry, from: decided_at }', 'shred'))).toEqual([`action "shred" must be ${syntaxes.slice(0, -1).join(', ')} or ${syntaxes.at(-1)}`]);
  });

  it('a key of one kind written under another is refused at that key', () => {
    expect(problems(BASE('{ kind: expiry, from: decided_at, consent: { table: c, subject: s, purpose_column: p, purpose: m, withdrawn_at: w } }')))
      .toEqual(['trigger.consent is only for kind consent_withdrawn']);
    expect(problems(`${BASE('{ kind: expiry, from: decided_at }')}register: { location: shelf, media_class: media }\n`))
      .toEqual([`register is only for action: manual (${ACTIONS.manual.summary})`]);
  });
});
