/**
 * The one table that turns errors into HTTP answers (Image Builder error bodies). The domain throws DomainErrors
 * with a kind; the edge's own refusals (no route, bad JSON, too large, no organization) are HttpRefusals. Anything
 * else is a 500 whose body hides the internals and names the request id that the log line carries too.
 */
import { DomainError, RateLimitedError, StorageFullError, isOutOfSpace, type DomainErrorKind } from '../../layers/src/errors.ts';
import type { Logger } from '../../layers/src/log/logger.ts';

/** A refusal decided at the HTTP edge itself (routing, body parsing, authentication): it has a status of its own. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpRefusal';
  }
}

const STATUS_OF_KIND: Readonly<Record<DomainErrorKind, { status: number; title: string }>> = {
  invalid: { status: 400, title: 'Bad request' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  duplicate: { status: 422, title: 'Unprocessable entity' },
  unsatisfiable: { status: 422, title: 'Depsolve failed' },
  'dependency-failed': { status: 502, title: 'Repository unavailable' },
  'not-configured': { status: 503, title: 'Service unavailable' },
  'storage-full': { status: 507, title: 'Insufficient storage' },
  'quota-exceeded': { status: 403, title: 'Forbidden' },
  'rate-limited': { status: 429, title: 'Too many requests' },
};

export interface ErrorResponse {
  status: number;
  body: { errors: { title: string; detail: string }[] };
  /** Headers the answer needs besides content-type (Retry-After on a 429). */
  headers?: Record<string, string>;
}

export const errorBody = (title: string, detail: string): ErrorResponse['body'] => ({ errors: [{ title, detail }] });

/** The answer for `error`; logs what the client does not see (5xx) with the request id. */
export function respondToError(error: unknown, context: { requestId: string; log: Logger; path: string }): ErrorResponse {
  if (error instanceof HttpRefusal) return { status: error.status, body: errorBody(error.title, error.message) };
  // A store that hit a full disk mid-request: the client can retry later, so it is told so, not given a 500.
  if (!(error instanceof DomainError) && isOutOfSpace(error)) {
    context.log.error('storage full', { requestId: context.requestId, path: context.path, error });
    return respondToError(new StorageFullError('the service is out of storage space; nothing was saved, try again later'), context);
  }
  if (error instanceof DomainError) {
    const { status, title } = STATUS_OF_KIND[error.kind];
    if (status >= 500) context.log.warn('request failed on a dependency', { requestId: context.requestId, path: context.path, error });
    const retry = error instanceof RateLimitedError ? { headers: { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) } } : {};
    return { status, body: errorBody(title, error.message), ...retry };
  }
  context.log.error('request failed', { requestId: context.requestId, path: context.path, error });
  return {
    status: 500,
    body: errorBody('Internal server error', `the request could not be completed; it has been logged with request id ${context.requestId}`),
  };
}
