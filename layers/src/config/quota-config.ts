/**
 * The quota and request-rate settings every API composition root reads (local/config.ts, functions/aws/config.ts),
 * on the shared env helper, so local mode and the Lambda functions name and bound them alike.
 */
import { envChoice, envNumber, type Env } from './env.ts';
import { DEFAULT_COMPOSE_QUOTAS, MAX_BUILDS_PER_WINDOW, MAX_CONCURRENT_BUILDS, type ComposeQuotas } from '../service/quota.ts';
import type { RateLimit } from '../ports/rate-limiter.ts';

/** Default request rate per organization: 1200 per minute (20 per second sustained, bursts within the minute). */
export const DEFAULT_REQUEST_RATE: RateLimit = { requests: 1200, windowSeconds: 60 };

/**
 * IBS_QUOTAS (on | off, default on), IBS_QUOTA_BUILDS (builds per window, default 100), IBS_QUOTA_WINDOW_SECONDS
 * (default 1209600: 14 days), IBS_QUOTA_CONCURRENT (unfinished builds at once, default 20).
 */
export function readComposeQuotas(env: Env): ComposeQuotas | undefined {
  if (envChoice(env, 'IBS_QUOTAS', ['on', 'off'], 'on') === 'off') return undefined;
  const d = DEFAULT_COMPOSE_QUOTAS;
  return {
    buildsPerWindow: envNumber(env, 'IBS_QUOTA_BUILDS', d.buildsPerWindow, { max: MAX_BUILDS_PER_WINDOW, integer: true }),
    windowSeconds: envNumber(env, 'IBS_QUOTA_WINDOW_SECONDS', d.windowSeconds, { min: 1, max: 366 * 24 * 3600, integer: true }),
    concurrentBuilds: envNumber(env, 'IBS_QUOTA_CONCURRENT', d.concurrentBuilds, { min: 1, max: MAX_CONCURRENT_BUILDS, integer: true }),
  };
}

/** IBS_RATE_LIMIT (requests per window and organization, 0: no limit; default 1200) and IBS_RATE_WINDOW_SECONDS (default 60). */
export function readRequestRate(env: Env): RateLimit | undefined {
  const requests = envNumber(env, 'IBS_RATE_LIMIT', DEFAULT_REQUEST_RATE.requests, { integer: true });
  if (requests === 0) return undefined;
  return { requests, windowSeconds: envNumber(env, 'IBS_RATE_WINDOW_SECONDS', DEFAULT_REQUEST_RATE.windowSeconds, { min: 1, max: 24 * 3600, integer: true }) };
}
