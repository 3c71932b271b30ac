// The few error classes whose type decides what happens next: exit code, retry or not.

/** Base class: every error lethe raises on purpose. */
export class LetheError extends Error {
  /** CLI exit code: 1 = the work failed, 2 = bad usage or bad input. */
  readonly exitCode: 1 | 2 = 1;
}

/** A missing or malformed environment variable. Never retried; exit 2. */
export class ConfigError extends LetheError {
  override readonly exitCode = 2;
  override name = 'ConfigError';
}

/** Wrong flags or arguments on the command line; exit 2. */
export class UsageError extends LetheError {
  override readonly exitCode = 2;
  override name = 'UsageError';
}

/** A position inside a policy file, 1-based like editors show it. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export interface PolicyProblem extends SourcePosition {
  message: string;
}

/**
 * One or more problems in policy files. Never retried (a BullMQ job wraps it in
 * UnrecoverableError); exit 2. Each problem prints as `file:line:col: message`.
 */
export class PolicyError extends LetheError {
  override readonly exitCode = 2;
  override name = 'PolicyError';
  readonly problems: PolicyProblem[];

  constructor(problems: PolicyProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}

export function formatProblem(p: PolicyProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** The request names something that does not exist (a hold id, a policy id). Exit 2. */
export class NotFoundError extends LetheError {
  override readonly exitCode = 2;
  override name = 'NotFoundError';
}

/**
 * The request contradicts the state of things: approving a request that is no longer pending,
 * a plan that is not the one reviewed, a task step out of order, a ticket or token name already
 * taken, a refusal lifted while the consent table shows none granted. Nothing changed. Exit 2,
 * HTTP 409.
 */
export class ConflictError extends LetheError {
  override readonly exitCode = 2;
  override name = 'ConflictError';
}

/**
 * Four eyes: the person may not take this step — approve what they asked for, confirm a
 * destruction they carried out, confirm as someone else. Nothing changed. Exit 2, HTTP 403.
 */
export class FourEyesError extends LetheError {
  override readonly exitCode = 2;
  override name = 'FourEyesError';
}

/** The database schema is older or newer than this build knows. */
export class SchemaVersionError extends LetheError {
  override name = 'SchemaVersionError';
}

/** Redis does not answer; the message says how to start one. */
export class QueueUnavailableError extends LetheError {
  override name = 'QueueUnavailableError';
}

/** PostgreSQL cannot be reached or refuses the connection; the message names the address and why. */
export class DatabaseUnavailableError extends LetheError {
  override name = 'DatabaseUnavailableError';
}

/**
 * A policy changed or was removed while work planned under it was still open (a scan, a
 * batch): that work is never carried out under other rules, nor retried. Exit 1.
 */
export class PolicyChangedError extends LetheError {
  override name = 'PolicyChangedError';
}

/**
 * Whether a job that failed with `e` may succeed if tried again: the one place that decides
 * (src/pipeline/workers.ts turns a permanent failure into BullMQ's UnrecoverableError). Bad
 * policies, changed rules, conflicts and refusals fail the same way every time; a database or
 * Redis that did not answer, a deadlock, a store's outage may not.
 */
export function isPermanent(e: unknown): boolean {
  return e instanceof PolicyError || e instanceof PolicyChangedError || e instanceof ConfigError || e instanceof UsageError
    || e instanceof NotFoundError || e instanceof ConflictError || e instanceof FourEyesError;
}
