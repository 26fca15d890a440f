/** Counts requests per key (an organization) in fixed time windows, so the API can answer 429 with Retry-After. */
export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Seconds until the current window ends (when a refused caller may try again). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one request of `key` in the window containing `now` (ms) and says whether it is within `limit`. */
  take(key: string, limit: RateLimit, now?: number): Promise<RateDecision>;
}

/** The fixed window containing `now`: its index, and the seconds left in it (at least 1). */
export function windowOf(limit: RateLimit, now: number): { index: number; retryAfterSeconds: number } {
  const size = limit.windowSeconds * 1000;
  const index = Math.floor(now / size);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * size - now) / 1000)) };
}
