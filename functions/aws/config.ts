/**
 * The Lambda functions' one config reader: every setting serverless.yml gives them, read from the environment once per
 * execution environment (at module load), on the shared env helper. The use cases get plain options.
 */
import { envChoice, envList, envNumber, envString, type Env } from '../../layers/src/config/env.ts';
import { LOG_LEVELS, type LogLevel } from '../../layers/src/log/logger.ts';
import type { IndexStoreOptions } from '../../layers/src/depsolve/index-store.ts';
import type { DeadLetterOptions } from '../../layers/src/service/dead-letter.ts';
import type { ServiceConfig } from '../../layers/src/service/deps.ts';
import type { FleetScalerOptions } from '../../layers/src/service/fleet-scaler.ts';
import { DEFAULT_REAPER_OPTIONS, type ReaperOptions } from '../../layers/src/service/reaper.ts';
import { SERVICE_VERSION } from '../../layers/src/version.ts';
import { readComposeQuotas, readRequestRate } from '../../layers/src/config/quota-config.ts';
import { readClaimNames, type ClaimNames } from '../api/auth.ts';

/** The function's name for log lines: Lambda's AWS_LAMBDA_FUNCTION_NAME, or the fallback outside Lambda. */
export const readFunctionName = (env: Env, fallback: string): string => envString(env, 'AWS_LAMBDA_FUNCTION_NAME', fallback);

/** IBS_DOWNLOAD_URL_TTL, IBS_BUILD_COMMIT, the quotas (IBS_QUOTA*) and the request rate (IBS_RATE_*). */
export function readServiceConfig(env: Env): ServiceConfig {
  const buildCommit = envString(env, 'IBS_BUILD_COMMIT');
  const quotas = readComposeQuotas(env);
  const requestRate = readRequestRate(env);
  return {
    ...(quotas ? { quotas } : {}),
    ...(requestRate ? { requestRate } : {}),
    downloadUrlTtlSeconds: envNumber(env, 'IBS_DOWNLOAD_URL_TTL', 3600, { min: 1, max: 7 * 24 * 3600 }),
    version: SERVICE_VERSION,
    ...(buildCommit ? { buildCommit } : {}),
  };
}

/** The reaper's IBS_STALE_AFTER_SECONDS, IBS_MAX_RECEIVES, IBS_MAX_REQUEUES, IBS_QUEUED_TIMEOUT_SECONDS, IBS_REAPER_LIMIT. */
export function readReaperOptions(env: Env): ReaperOptions {
  const defaults = DEFAULT_REAPER_OPTIONS;
  return {
    staleAfterSeconds: envNumber(env, 'IBS_STALE_AFTER_SECONDS', defaults.staleAfterSeconds, { min: 1 }),
    maxAttempts: envNumber(env, 'IBS_MAX_RECEIVES', defaults.maxAttempts, { min: 1, integer: true }),
    maxRequeues: envNumber(env, 'IBS_MAX_REQUEUES', defaults.maxRequeues, { integer: true }),
    queuedTimeoutSeconds: envNumber(env, 'IBS_QUEUED_TIMEOUT_SECONDS', defaults.queuedTimeoutSeconds, { min: 1 }),
    limit: envNumber(env, 'IBS_REAPER_LIMIT', defaults.limit, { min: 1, integer: true }),
  };
}

/** IBS_RUNNER_STALE_AFTER_SECONDS: the same heartbeat age the runners take over at (default 90 s). */
export const readDeadLetterOptions = (env: Env): DeadLetterOptions => ({
  runnerStaleAfterSeconds: envNumber(env, 'IBS_RUNNER_STALE_AFTER_SECONDS', 90, { min: 1 }),
});

/** The queue name prefix (`ibs-<stage>-`): the last path segment of IBS_QUEUE_URL_PREFIX. */
export function readQueueNamePrefix(env: Env): string {
  const urlPrefix = envString(env, 'IBS_QUEUE_URL_PREFIX', '');
  return urlPrefix.slice(urlPrefix.lastIndexOf('/') + 1);
}

/** The fleet scaler's IBS_RUNNER_GROUP_PREFIX, IBS_ARCHITECTURES and IBS_BUILDS_PER_INSTANCE. */
export function readFleetScalerConfig(env: Env): FleetScalerOptions & { runnerGroupPrefix: string } {
  return {
    runnerGroupPrefix: envString(env, 'IBS_RUNNER_GROUP_PREFIX', ''),
    architectures: envList(env, 'IBS_ARCHITECTURES', ['x86_64', 'aarch64']),
    buildsPerInstance: envNumber(env, 'IBS_BUILDS_PER_INSTANCE', 1, { min: 1, integer: true }),
  };
}

/** IBS_EVENT_BUS: where status events go (default: the account's default bus). */
export const readEventBusName = (env: Env): string => envString(env, 'IBS_EVENT_BUS', 'default');

/** IBS_LOG_LEVEL (default info). */
export const readLogLevel = (env: Env): LogLevel => envChoice(env, 'IBS_LOG_LEVEL', LOG_LEVELS, 'info');

/**
 * The depsolver's options on AWS: user-supplied repositories are fetched only from public addresses (no instance
 * metadata, no VPC), IBS_INDEX_CACHE_MIB of indexes stay in memory (default 512, within the functions' memory).
 */
export const readDepsolverOptions = (env: Env): Pick<IndexStoreOptions, 'allowPrivateAddresses' | 'memoryBytes'> => ({
  allowPrivateAddresses: false,
  memoryBytes: envNumber(env, 'IBS_INDEX_CACHE_MIB', 512, { min: 16, integer: true }) * 1024 * 1024,
});

/**
 * IBS_ORG_CLAIM and IBS_USER_CLAIM: the JWT authorizer's claims that name the organization and the user (default
 * org_id, sub; with the stack's Cognito pool, org_id is added to its access tokens by the pre-token-generation trigger).
 */
export const readAuthClaimNames = (env: Env): ClaimNames => readClaimNames(env);
