/**
 * The quota and request-rate settings every API composition root reads (local/config.ts, functions/aws/config.ts),
 * on the shared env helper, so local mode and the Lambda functions name and bound them alike.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, envChoice, envNumber, envString, type Env } from './env.ts';
import { DEFAULT_COMPOSE_QUOTAS, MAX_BUILDS_PER_WINDOW, MAX_CONCURRENT_BUILDS, type ComposeQuotas, type WindowQuota } from '../service/quota.ts';
import type { RateLimit } from '../ports/rate-limiter.ts';

/** Default request rate per organization: 1200 per minute (20 per second sustained, bursts within the minute). */
export const DEFAULT_REQUEST_RATE: RateLimit = { requests: 1200, windowSeconds: 60 };

const MAX_WINDOW_SECONDS = 366 * 24 * 3600;

/**
 * IBS_QUOTAS (on | off, default on), IBS_QUOTA_BUILDS (builds per window, default 100), IBS_QUOTA_WINDOW_SECONDS
 * (default 1209600: 14 days), IBS_QUOTA_CONCURRENT (unfinished builds at once, default 20), IBS_QUOTA_FILE (the hosted
 * service's QUOTA_FILE: window quotas per organization, its `default` entry in place of the two settings above).
 */
export function readComposeQuotas(env: Env): ComposeQuotas | undefined {
  if (envChoice(env, 'IBS_QUOTAS', ['on', 'off'], 'on') === 'off') return undefined;
  const d = DEFAULT_COMPOSE_QUOTAS;
  const file = envString(env, 'IBS_QUOTA_FILE');
  const { default: fileDefault, ...organizations }: Record<string, WindowQuota | undefined> = file ? readQuotaFile(file) : {};
  return {
    ...(fileDefault ?? {
      buildsPerWindow: envNumber(env, 'IBS_QUOTA_BUILDS', d.buildsPerWindow, { max: MAX_BUILDS_PER_WINDOW, integer: true }),
      windowSeconds: envNumber(env, 'IBS_QUOTA_WINDOW_SECONDS', d.windowSeconds, { min: 1, max: MAX_WINDOW_SECONDS, integer: true }),
    }),
    concurrentBuilds: envNumber(env, 'IBS_QUOTA_CONCURRENT', d.concurrentBuilds, { min: 1, max: MAX_CONCURRENT_BUILDS, integer: true }),
    ...(file ? { organizations: organizations as Record<string, WindowQuota> } : {}),
  };
}

/**
 * A quota file in image-builder-crc's format: `{"<org id>": {"quota": 2, "slidingWindow": <nanoseconds>}, "default":
 * {...}}`; every entry is checked, and a bad one stops the start naming the file and the entry.
 */
export function readQuotaFile(file: string): Record<string, WindowQuota> {
  const fail = (problem: string): never => {
    throw new ConfigError('IBS_QUOTA_FILE', `(${file}) ${problem}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`cannot be read as JSON: ${(error as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('must be a JSON object of organization ids');
  const quotas: Record<string, WindowQuota> = {};
  for (const [org, entry] of Object.entries(raw as Record<string, unknown>)) {
    const { quota, slidingWindow } = (entry ?? {}) as { quota?: unknown; slidingWindow?: unknown };
    if (!Number.isInteger(quota) || (quota as number) < 0 || (quota as number) > MAX_BUILDS_PER_WINDOW) {
      fail(`entry "${org}": quota must be a whole number from 0 to ${MAX_BUILDS_PER_WINDOW}`);
    }
    const seconds = Number(slidingWindow) / 1e9;
    if (typeof slidingWindow !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WINDOW_SECONDS) {
      fail(`entry "${org}": slidingWindow must be whole seconds in nanoseconds (e.g. 1209600000000000 for 14 days)`);
    }
    quotas[org] = { buildsPerWindow: quota as number, windowSeconds: seconds };
  }
  return quotas;
}

/** IBS_RATE_LIMIT (requests per window and organization, 0: no limit; default 1200) and IBS_RATE_WINDOW_SECONDS (default 60). */
export function readRequestRate(env: Env): RateLimit | undefined {
  const requests = envNumber(env, 'IBS_RATE_LIMIT', DEFAULT_REQUEST_RATE.requests, { integer: true });
  if (requests === 0) return undefined;
  return { requests, windowSeconds: envNumber(env, 'IBS_RATE_WINDOW_SECONDS', DEFAULT_REQUEST_RATE.windowSeconds, { min: 1, max: 24 * 3600, integer: true }) };
}
