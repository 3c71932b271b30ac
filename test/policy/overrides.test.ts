// Per-deployment periods (LETHE_POLICY_OVERRIDES): applied after parsing, positioned errors,
// never below a statutory floor, and a new version for an overridden policy.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicies } from '../../src/policy/load.ts';
import { applyOverrides, applyOverrideText, loadPoliciesWithOverrides } from '../../src/policy/overrides.ts';
import { PolicyError, formatProblem } from '../../src/errors.ts';
import type { Policy } from '../../src/policy/types.ts';
import { runCli } from '../cli/run-cli.ts';

const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const FILE = 'site/overrides.yaml';

function problems(policies: Policy[], text: string): string[] {
  try {
    applyOverrideText(policies, text, FILE);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected a PolicyError');
}

describe('policy overrides', () => {
  it('changes only the periods named, and gives an overridden policy a new version that records it', async () => {
    const pack = await loadPolicies(PACK);
    const out = applyOverrideText(pack, 'rejected-loan-applications:\n  retain: P14D\nsales-recordings: { retain: P10Y, minimum: P5Y }\n', FILE);
    const byId = (list: Policy[], id: string) => list.find((p) => p.id === id)!;
    const rejected = byId(out, 'rejected-loan-applications');
    expect(rejected.retain.iso).toBe('P14D');
    expect(rejected.version).not.toBe(byId(pack, 'rejected-loan-applications').version);
    expect(rejected.text).toContain('#   retain: P14D   (policy file: P30D)');
    expect(rejected.positions['retain']).toEqual({ file: FILE, line: 2, col: 11 });
    const sales = byId(out, 'sales-recordings');
    expect([sales.retain.iso, sales.minimum!.period.iso, sales.minimum!.from]).toEqual(['P10Y', 'P5Y', 'contract_ended_at']);
    for (const p of pack.filter((x) => !['rejected-loan-applications', 'sales-recordings'].includes(x.id))) {
      expect(byId(out, p.id)).toBe(p);
    }
  });

  it('never lets an override shorten or undercut a statutory minimum', async () => {
    const pack = await loadPolicies(PACK);
    const kycFloor = (await loadPolicies(PACK)).find((p) => p.id === 'kyc-records')!.positions['minimum.period']!;
    expect(problems(pack, 'kyc-records: { retain: P5Y }\n')).toEqual([
      `${FILE}:1:24: kyc-records: retain P5Y would be shorter than the minimum P10Y: an override may not set retention below the statutory floor (kyc-records.yaml:${kycFloor.line})`,
    ]);
    expect(problems(pack, 'access-logs:\n  minimum: P3M\n')[0]).toMatch(/^site\/overrides\.yaml:2:12: access-logs\.minimum P3M is shorter than the policy's minimum P6M .*never shorten it$/);
    expect(problems(pack, 'face-verification-images: { minimum: P1Y }\n')[0]).toContain('has no statutory minimum to lengthen');
    // A longer floor with the pack's retain would defer everything: say so.
    expect(problems(pack, 'device-risk-events: { minimum: P1Y }\n')[0]).toContain('retain P6M would be shorter than the minimum P1Y');
  });

  it('never lets an override keep records past a legal maximum, naming the override file', async () => {
    const pack = await loadPolicies(PACK);
    const credit = pack.find((p) => p.id === 'credit-negative-records')!;
    // The shipped credit policy carries the five-year ceiling of 征信业管理条例 art. 16.
    expect(credit.maximum).toMatchObject({ period: { iso: 'P5Y' }, basis: ['征信业管理条例 第十六条'] });
    const line = credit.positions['maximum.period']!.line;
    expect(problems(pack, 'credit-negative-records: { retain: P6Y }\n')).toEqual([
      `${FILE}:1:36: credit-negative-records.retain P6Y is longer than the maximum P5Y (征信业管理条例 第十六条): no retention, floor or override may keep these records past it; the maximum is the policy's (credit-negative-records.yaml:${line}), and an override may not lift it`,
    ]);
    // P60M is five years to the day: not past the ceiling. A day more is.
    expect(applyOverrideText(pack, 'credit-negative-records: { retain: P60M }\n', FILE).find((p) => p.id === 'credit-negative-records')!.retain.iso).toBe('P60M');
    expect(problems(pack, 'credit-negative-records:\n  retain: P5Y1D\n')[0]).toMatch(/^site\/overrides\.yaml:2:11: credit-negative-records\.retain P5Y1D is longer than the maximum P5Y/);
  });

  it('the CLI refuses an override past a maximum with exit 2, naming the override file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lethe-overrides-'));
    const file = join(dir, 'site-overrides.yaml');
    writeFileSync(file, '# this deployment\ncredit-negative-records:\n  retain: P7Y\n');
    const r = await runCli(['policies', 'check'], { LETHE_POLICY_OVERRIDES: file, LOG_LEVEL: 'silent' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:11: credit-negative-records.retain P7Y is longer than the maximum P5Y (征信业管理条例 第十六条)`);
    expect(r.stdout).toBe('');
  });

  it('reports unknown policies, keys and bad durations at file:line:col, all at once', async () => {
    const pack = await loadPolicies(PACK);
    expect(problems(pack, 'no-such-policy: { retain: P1D }\n')[0]).toMatch(/^site\/overrides\.yaml:1:1: "no-such-policy" is not a loaded policy; loaded: .*kyc-records/);
    expect(problems(pack, 'kyc-records:\n  retain: 10 years\n  keep: forever\n').sort()).toEqual([
      `${FILE}:2:11: kyc-records.retain "10 years" is not an ISO 8601 duration (e.g. P30D)`,
      `${FILE}:3:3: unknown key "keep" in kyc-records (allowed: retain, minimum)`,
    ]);
    expect(problems(pack, 'kyc-records: {}\n')[0]).toContain('must set retain, minimum or both');
    expect(problems(pack, '- kyc-records\n')[0]).toContain('a mapping of policy ids');
    expect(problems(pack, 'a: [\n')[0]).toMatch(/^site\/overrides\.yaml:\d+:\d+: YAML: /);
  });

  it('reads the file named by LETHE_POLICY_OVERRIDES; none means no change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lethe-overrides-'));
    const file = join(dir, 'overrides.yaml');
    writeFileSync(file, 'complaint-records: { retain: P5Y }\n');
    const out = await loadPoliciesWithOverrides(PACK, file);
    expect(out.find((p) => p.id === 'complaint-records')!.retain.iso).toBe('P5Y');
    const pack = await loadPolicies(PACK);
    expect(await applyOverrides(pack, undefined)).toBe(pack);
    await expect(applyOverrides(pack, join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml:1:1: cannot read the override file/);
  });
});
