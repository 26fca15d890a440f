/** Local mode's one config reader: every IBS_* setting `npm start` uses, read once at start-up. */
import { resolve } from 'node:path';
import { envChoice, envList, envNumber, envString, type Env } from '../layers/src/config/env.ts';
import { LOG_LEVELS, type LogLevel } from '../layers/src/log/logger.ts';
import { readClaimNames, type ClaimNames } from '../functions/api/auth.ts';
import { readComposeQuotas, readRequestRate } from '../layers/src/config/quota-config.ts';
import type { ComposeQuotas } from '../layers/src/service/quota.ts';
import type { RateLimit } from '../layers/src/ports/rate-limiter.ts';
import { readWeldrConfig, type WeldrSocketConfig } from './weldr-socket.ts';

export const LOCAL_BACKENDS = ['embedded', 'aws'] as const;
export type LocalBackendKind = (typeof LOCAL_BACKENDS)[number];

export interface LocalConfig {
  /** `embedded`: SQLite + filesystem; `aws`: the AWS adapters against local stand-ins (fauxqs, DynamoDB Local). */
  backend: LocalBackendKind;
  port: number;
  dataDir: string;
  runners: number;
  /** Shown at start; the runners read IBS_OSBUILD themselves. */
  osbuild: string;
  maxReceives: number;
  downloadUrlTtlSeconds: number;
  logLevel: LogLevel;
  /** Runner takeover age (IBS_RUNNER_STALE_AFTER_SECONDS, which the runners read too); the dead-letter handler's too. */
  runnerStaleAfterSeconds: number;
  /** The reaper: how often it runs, and after how long without a heartbeat a build counts as lost. */
  reaperIntervalSeconds: number;
  reaperStaleAfterSeconds: number;
  /** Free space the data directory must keep: below it new composes get 507 and /ready says not ready. */
  minFreeBytes: number;
  /** Extra host names the API answers to (besides loopback), e.g. a name in /etc/hosts or a reverse proxy's. */
  allowedHosts: string[];
  /** INSECURE development flag IBS_INSECURE_ORG_HEADER=1: requests without a token act for their X-Org-Id (default `local`). */
  insecureOrgHeader: boolean;
  /** Token claims naming the organization and the user (IBS_ORG_CLAIM, IBS_USER_CLAIM; default org_id, sub). */
  claimNames: ClaimNames;
  /** IBS_FILE_REPOSITORIES=0 refuses file:// payload repositories (local mirrors on this disk; default allowed). */
  fileRepositories: boolean;
  /** Per-organization compose quotas (IBS_QUOTAS, IBS_QUOTA_BUILDS, IBS_QUOTA_WINDOW_SECONDS, IBS_QUOTA_CONCURRENT); undefined: off. */
  quotas: ComposeQuotas | undefined;
  /** Requests per organization and window (IBS_RATE_LIMIT, IBS_RATE_WINDOW_SECONDS); undefined: no limit. */
  requestRate: RateLimit | undefined;
  /** composer's Weldr API on a unix socket (IBS_WELDR_SOCKET or IBS_WELDR_SYSTEM, IBS_WELDR_ORG, IBS_WELDR_GROUP); undefined: IBS_WELDR=0. */
  weldr: WeldrSocketConfig | undefined;
}

/** IBS_DATA_DIR as an absolute path (default ./.ibs-data): the service's and `ibs token`'s. */
export const resolveDataDir = (env: Env = process.env): string => resolve(envString(env, 'IBS_DATA_DIR', './.ibs-data'));

export function readLocalConfig(env: Env = process.env): LocalConfig {
  return {
    backend: envChoice(env, 'IBS_BACKEND', LOCAL_BACKENDS, 'embedded'),
    port: envNumber(env, 'IBS_PORT', 8080, { max: 65535, integer: true }),
    dataDir: resolveDataDir(env),
    runners: envNumber(env, 'IBS_RUNNERS', 1, { max: 64, integer: true }),
    osbuild: envString(env, 'IBS_OSBUILD', 'osbuild'),
    maxReceives: envNumber(env, 'IBS_MAX_RECEIVES', 3, { min: 1, max: 1000, integer: true }),
    downloadUrlTtlSeconds: envNumber(env, 'IBS_DOWNLOAD_URL_TTL', 3600, { min: 1, max: 7 * 24 * 3600, integer: true }),
    logLevel: envChoice(env, 'IBS_LOG_LEVEL', LOG_LEVELS, 'info'),
    allowedHosts: envList(env, 'IBS_ALLOWED_HOSTS', []),
    insecureOrgHeader: envChoice(env, 'IBS_INSECURE_ORG_HEADER', ['0', '1'], '0') === '1',
    claimNames: readClaimNames(env),
    fileRepositories: envChoice(env, 'IBS_FILE_REPOSITORIES', ['0', '1'], '1') === '1',
    quotas: readComposeQuotas(env),
    requestRate: readRequestRate(env),
    weldr: readWeldrConfig(env),
    minFreeBytes: envNumber(env, 'IBS_API_MIN_FREE_BYTES', 256 * 2 ** 20),
    runnerStaleAfterSeconds: envNumber(env, 'IBS_RUNNER_STALE_AFTER_SECONDS', 90, { min: 1 }),
    reaperIntervalSeconds: envNumber(env, 'IBS_REAPER_INTERVAL_SECONDS', 60, { min: 1 }),
    reaperStaleAfterSeconds: envNumber(env, 'IBS_STALE_AFTER_SECONDS', 300, { min: 1 }),
  };
}
