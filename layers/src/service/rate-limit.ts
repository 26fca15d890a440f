/**
 * Request rate per organization: every authenticated request counts in a fixed window (deps.rateLimiter, configured
 * by deps.config.requestRate); over the limit the edge answers 429 with Retry-After. A limiter that cannot answer
 * lets the request through: rate limiting protects the service, it must not take it down.
 */
import { RateLimitedError } from '../errors.ts';
import type { ServiceDeps } from './deps.ts';

export async function enforceRequestRate(deps: ServiceDeps, orgId: string, now = Date.now()): Promise<void> {
  // Hand-built deps (single-handler tests) may carry no config at all: no limit then.
  const limit = deps.config?.requestRate;
  if (!limit || !deps.rateLimiter || !orgId) return;
  let decision;
  try {
    decision = await deps.rateLimiter.take(orgId, limit, now);
  } catch (error) {
    deps.log.warn('request rate not checked: the rate limiter failed', { orgId, error });
    return;
  }
  if (!decision.allowed) {
    throw new RateLimitedError(
      `Rate limit of ${limit.requests} requests per ${limit.windowSeconds} seconds exceeded for organization ${orgId}; ` +
        `retry after ${decision.retryAfterSeconds} seconds`,
      decision.retryAfterSeconds,
    );
  }
}
