/**
 * Domain errors: what went wrong in the domain's own terms, with no HTTP in them. Each edge (the HTTP API, the CLI,
 * the queue consumers) maps the `kind` to its own answer in one table (functions/api/error-responses.ts for HTTP).
 */
export type DomainErrorKind =
  /** The caller's input is wrong: names the field, what was wrong and what is allowed. */
  | 'invalid'
  | 'not-found'
  /** The request is valid but the resource's state does not allow it (e.g. cancelling a finished compose). */
  | 'conflict'
  /** The request would create a second thing where only one may exist (e.g. a blueprint name). */
  | 'duplicate'
  /** The packages asked for cannot be installed together (dnf's problem text). */
  | 'unsatisfiable'
  /** A repository or another service we depend on did not answer usefully. */
  | 'dependency-failed'
  /** This deployment is not set up for the operation (e.g. no depsolver). */
  | 'not-configured'
  /** The service's own storage is full: nothing was written; try again once space is freed. */
  | 'storage-full'
  /** The organization used up a quota (builds per window, concurrent builds): nothing was written. */
  | 'quota-exceeded'
  /** The organization sends requests faster than its rate limit: try again after `retryAfterSeconds`. */
  | 'rate-limited';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A client mistake in a request: names the field, what was wrong and what is allowed. */
export class ValidationError extends DomainError {
  readonly kind = 'invalid';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not-found';
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  constructor(
    message: string,
    /** What the caller may want to know about the current state (e.g. the final state of a compose). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class DuplicateError extends DomainError {
  readonly kind = 'duplicate';
}

export class NotConfiguredError extends DomainError {
  readonly kind = 'not-configured';
}

/** Base of the depsolver's refusal (DepsolveError): the request cannot be satisfied. */
export class UnsatisfiableError extends DomainError {
  readonly kind = 'unsatisfiable';
}

/** Base of failures of what we depend on (RepositoryError: a repository that cannot be read). */
export class DependencyFailedError extends DomainError {
  readonly kind = 'dependency-failed';
}

export class StorageFullError extends DomainError {
  readonly kind = 'storage-full';
}

/** A per-organization quota refused the request; the message names the limit (as the hosted service words it). */
export class QuotaExceededError extends DomainError {
  readonly kind = 'quota-exceeded';
  constructor(
    message: string,
    /** Which quota: builds per sliding window, or unfinished builds at once. */
    readonly quota: 'builds-per-window' | 'concurrent-builds',
    readonly limit: number,
  ) {
    super(message);
  }
}

/** Too many requests: the edge tells the client when to try again (Retry-After). */
export class RateLimitedError extends DomainError {
  readonly kind = 'rate-limited';
  constructor(
    message: string,
    /** Whole seconds until a request would be admitted again (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

// errno and SQLite codes a full disk or quota produces, anywhere in a chain of causes.
const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** Whether `error` (or one of its causes) is a full disk or an exhausted quota. */
export function isOutOfSpace(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (OUT_OF_SPACE_CODES.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}
