// The error classes say what happened, and one function decides whether a job is tried again.
import { describe, expect, it } from 'vitest';
import {
  ConfigError, ConflictError, DatabaseUnavailableError, FourEyesError, NotFoundError, PolicyChangedError, PolicyError,
  QueueUnavailableError, UsageError, isPermanent,
} from '../src/errors.ts';
import { toHttpFailure } from '../src/server/errors.ts';

describe('error classes', () => {
  it('a state conflict and a four-eyes refusal are neither usage errors nor each other', () => {
    const conflict = new ConflictError('purge request pr-1 is expired');
    const fourEyes = new FourEyesError('four eyes: wang.li requested pr-1');
    expect(conflict).not.toBeInstanceOf(UsageError);
    expect(fourEyes).not.toBeInstanceOf(UsageError);
    expect([conflict.exitCode, fourEyes.exitCode]).toEqual([2, 2]);
    expect([toHttpFailure(conflict).status, toHttpFailure(fourEyes).status, toHttpFailure(new UsageError('x')).status]).toEqual([409, 403, 400]);
  });

  it('retries what may mend itself, never what fails the same way every time', () => {
    for (const e of [new PolicyError([{ file: 'p.yaml', line: 1, col: 1, message: 'x' }]), new PolicyChangedError('x'), new ConfigError('x'),
      new UsageError('x'), new NotFoundError('x'), new ConflictError('x'), new FourEyesError('x')]) {
      expect(isPermanent(e), e.name).toBe(true);
    }
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    for (const e of [new DatabaseUnavailableError('x'), new QueueUnavailableError('x'), deadlock, new Error('ECONNRESET')]) {
      expect(isPermanent(e), String(e)).toBe(false);
    }
  });
});
