// `lethe policies doc`: the catalogue shows what a DPO must see, escapes what it shows, and the
// copies checked in under docs/ are what the pack in policies/ generates now.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPolicies, parsePolicy } from '../../src/policy/load.ts';
import { applyOverrideText } from '../../src/policy/overrides.ts';
import { renderCatalogue } from '../../src/policy/doc.ts';
import { runCli, ROOT } from '../cli/run-cli.ts';

const PACK = fileURLToPath(new URL('../../policies', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

const HOSTILE = `# Notes with <b>markup</b> & a \`\`\` fence | pipe
id: hostile
title: "<script>alert(1)</script> | *bold* [link](x)"
category: "c<i>"
classification: C3   # <img src=x>
basis:
  - "law <em>art</em> | 1"
source: { table: apps, key: id, subject: customer_id, where: { status: "a'b|c" } }
trigger: { kind: expiry, from: decided_at }
retain: P1Y6M
minimum: { period: P2Y, from: decided_at, basis: [floor], kind: law, reason: "keep <for> audit" }
action: { anonymise: { email: hmac, note: redact } }
children:
  - { table: docs, key: id, foreign_key: app_id }
`;

describe('policies doc', () => {
  it('the checked-in docs/policies.md and docs/policies.html are current (regenerate with lethe policies doc)', async () => {
    const policies = await loadPolicies(PACK);
    expect(renderCatalogue(policies, 'md'), 'docs/policies.md is stale: npx lethe policies doc --out docs/policies.md')
      .toBe(await readFile(`${DOCS}policies.md`, 'utf8'));
    expect(renderCatalogue(policies, 'html'), 'docs/policies.html is stale: npx lethe policies doc --out docs/policies.html')
      .toBe(await readFile(`${DOCS}policies.html`, 'utf8'));
  });

  it('shows every field of every policy', async () => {
    const policies = await loadPolicies(PACK);
    const md = renderCatalogue(policies, 'md');
    for (const p of policies) {
      expect(md).toContain(`## ${p.id}`);
      expect(md).toContain(p.title);
      expect(md).toContain(`\`${p.version.slice(0, 12)}\``);
      expect(md).toContain(`${p.retain.iso} (`);
      for (const b of p.basis) expect(md).toContain(b);
      if (p.minimum) expect(md).toContain(`${p.minimum.period.iso} (`);
    }
    // The legal caveats written as comments travel with the citation.
    expect(md).toMatch(/银保监办发〔2022〕80号.* — \*◐ secondary summary\*/);
  });

  it('escapes everything in HTML and Markdown and describes each strategy', () => {
    const p = parsePolicy(HOSTILE, 'policies/hostile.yaml');
    const html = renderCatalogue([p], 'html');
    expect(html).not.toMatch(/<(script|b|i|em|img)[\s>]/);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<code>status = &#39;a&#39;b|c&#39;</code>');
    expect(html).toContain('P1Y6M (1 year 6 months)');
    expect(html).toContain('reason: keep &#60;for&#62; audit');
    expect(html).toContain('NOT anonymous');
    expect(html).not.toMatch(/(src|href)="(?!#)/); // no external asset
    const md = renderCatalogue([p], 'md');
    expect(md).toContain('\\<script\\>alert(1)\\</script\\> \\| \\*bold\\* \\[link\\](x)');
    expect(md).toContain("`status = 'a'b\\|c'`");
    // The header comment holds a ``` fence: the block around it needs a longer one.
    expect(md).toContain('````text\nNotes with <b>markup</b> & a ``` fence | pipe\n````');
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) {
      expect(line.replace(/\\\|/g, '').split('|').length, line).toBeLessThanOrEqual(10);
    }
  });

  it('says who set each floor, what a maximum forbids and what an anonymise action leaves', async () => {
    const md = renderCatalogue(await loadPolicies(PACK), 'md');
    const section = (id: string) => md.slice(md.indexOf(`## ${id}`), md.indexOf('\n## ', md.indexOf(`## ${id}`) + 1));
    expect(section('sales-recordings')).toMatch(/\| minimum \| P6M \(6 months\) from `contract_ended_at`; analogy: .*an erasure request destroys them at once/);
    expect(section('kyc-records')).toMatch(/\| minimum \| P10Y .*law: set by a law or administrative regulation: an erasure request is deferred/);
    expect(section('credit-negative-records')).toContain('| maximum | P5Y (5 years): no retention, floor or override may keep the records longer; basis: 征信业管理条例 第十六条 |');
    expect(section('customer-profile-anonymise')).toMatch(/Result: pseudonymised \(去标识化, PIPL art\. 73\(3\)\), not anonymised \(art\. 73\(4\)\): it keeps id\\_number: the first 6 characters; birth\\_date: the year; income: a band of 10000; email: a keyed hash/);
    expect(section('transaction-records')).toMatch(/Result: the listed columns are removed, but the record keeps its key and its subject column customer\\_id: .*not anonymised/);
    expect(md).toContain('| P5Y (max P5Y) |');
    expect(md).toContain('| P6M (analogy) |');
    const html = renderCatalogue(await loadPolicies(PACK), 'html');
    expect(html).toContain('<tr><th>maximum</th><td>P5Y (5 years): no retention, floor or override may keep the records longer; basis: 征信业管理条例 第十六条</td></tr>');
    expect(html).toContain('Result: pseudonymised (去标识化');
  });

  it('marks a period set by the deployment override file', async () => {
    const policies = applyOverrideText(await loadPolicies(PACK), 'rejected-loan-applications: { retain: P14D }\n', 'site.yaml');
    const md = renderCatalogue(policies, 'md');
    expect(md).toContain('| retain | P14D (14 days) — *set by this deployment\'s override file; the policy file says P30D* |');
    expect(md).toContain('| P14D (override) |');
  });

  it('writes Markdown or HTML from the command line and rejects a bad format', async () => {
    const env = { LETHE_POLICIES: `${ROOT}/policies` };
    const md = await runCli(['policies', 'doc'], env);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('# Retention policies');
    const html = await runCli(['policies', 'doc', '--format', 'html'], env);
    expect(html.stdout.startsWith('<!doctype html>')).toBe(true);
    const bad = await runCli(['policies', 'doc', '--format', 'pdf'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format "pdf" is not one of md, html');
  });
});
