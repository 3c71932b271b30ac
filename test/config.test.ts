// The environment at the edge: a value that would misbehave later is refused at start-up, with
// one line naming the variable.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

describe('loadConfig', () => {
  it('refuses timer intervals a Node timer cannot hold (P30D fired every millisecond) and zero', () => {
    for (const name of ['LETHE_RECONCILE_EVERY', 'LETHE_PARTNER_SWEEP_EVERY', 'LETHE_SCAN_EVERY']) {
      for (const value of ['P30D', 'P1Y', 'PT0S']) {
        expect(() => loadConfig({}, { [name]: value }), `${name}=${value}`).toThrow(ConfigError);
        expect(() => loadConfig({}, { [name]: value })).toThrow(`${name} must be longer than zero and at most P24D`);
      }
      expect(() => loadConfig({}, { [name]: 'P24D' })).not.toThrow();
    }
  });

  it('keeps evidence at least three years however the period is written, as evidence prune does', () => {
    for (const ok of ['P3Y', 'P36M', 'P157W', 'P1095D', 'P10Y']) {
      expect(() => loadConfig({}, { LETHE_EVIDENCE_RETAIN: ok }), ok).not.toThrow();
    }
    for (const short of ['P2Y', 'P35M', 'P156W', 'P1094D']) {
      expect(() => loadConfig({}, { LETHE_EVIDENCE_RETAIN: short }), short).toThrow('LETHE_EVIDENCE_RETAIN must be at least P3Y');
    }
  });
});
