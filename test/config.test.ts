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
});
