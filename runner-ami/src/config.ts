import { LOG_LEVELS, type LogLevel } from '../../layers/src/log/logger.ts';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { envChoice, envList, envNumber, envString, type Env } from '../../layers/src/config/env.ts';

/** Everything the runner agent is told from outside; read once at start from the environment (user data / SSM on EC2). */
export interface RunnerConfig {
  /** `embedded` (SQLite + filesystem under dataDir) or `aws`. */
  backend: 'embedded' | 'aws';
  dataDir: string;
  publicBaseUrl: string;
  runnerId: string;
  /** Architectures this host builds; one build queue each (`build-<arch>`). */
  architectures: string[];
  /** osbuild command line (program + leading args), e.g. `sudo osbuild`. */
  osbuildCommand: string;
  /** Store, outputs and scratch space. */
  workDir: string;
  /** Builds running at the same time on this host. */
  concurrency: number;
  /** Cadence of heartbeats (message visibility + compose heartbeatAt). */
  heartbeatSeconds: number;
  /** Visibility timeout set on receive and on every heartbeat. */
  visibilitySeconds: number;
  /**
   * A build whose heartbeat is older than this has lost its runner: a newer delivery of its job may take it over
   * (heartbeat < this ≤ visibility).
   */
  staleAfterSeconds: number;
  /**
   * A runner that could not record a heartbeat for this long stops its own osbuild, early enough (kill grace and one
   * tick before `staleAfterSeconds`) that it is gone before another runner may take over.
   */
  selfStopAfterSeconds: number;
  /** Long-poll wait per receive. */
  receiveWaitSeconds: number;
  /** osbuild --cache-max-size (bytes or osbuild size string such as `20GiB`). */
  cacheMaxSize: string;
  /** Free bytes the work directory must have before a build starts (at least; larger images need more). */
  minFreeBytes: number;
  /** Longest an osbuild run may take; then it is stopped and the compose fails (not retried). */
  buildTimeoutSeconds: number;
  /** Seconds between SIGTERM and SIGKILL when stopping osbuild. */
  killGraceSeconds: number;
  /** Upper bound for progress writes, log flushes and cancel polls. */
  progressIntervalMs: number;
  /** Deliveries after which a transient failure fails the compose instead of handing it back (≤ the queue's maxReceives). */
  maxAttempts: number;
  /** Delay before a handed-back transient failure is offered again; multiplied by the attempt number. */
  retryDelaySeconds: number;
  /** Upload attempts per file. */
  uploadAttempts: number;
  /** Instance metadata endpoint (IMDSv2) polled for spot interruption notices; undefined = do not poll. */
  imdsEndpoint?: string;
  imdsPollSeconds: number;
  /** IBS_LOG_LEVEL. */
  logLevel: LogLevel;
}

const HOST_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/** Reads the runner configuration; throws with the variable's name on bad values. */
export function readRunnerConfig(env: Env = process.env): RunnerConfig {
  const backend = envChoice(env, 'IBS_BACKEND', ['embedded', 'aws'] as const, 'embedded');
  const dataDir = resolve(envString(env, 'IBS_DATA_DIR', './.ibs-data'));
  const architectures = envList(env, 'IBS_ARCHITECTURES', [HOST_ARCH[process.arch] ?? process.arch]);
  if (architectures.length === 0) throw new Error('IBS_ARCHITECTURES names no architecture');
  const number = (name: string, fallback: number): number => envNumber(env, name, fallback);
  /** Counts: at least one, whole (a fraction is rounded down, as before). */
  const count = (name: string, fallback: number): number => Math.max(1, Math.floor(number(name, fallback)));
  const heartbeatSeconds = number('IBS_HEARTBEAT_SECONDS', 30);
  const visibilitySeconds = number('IBS_VISIBILITY_SECONDS', Math.max(120, heartbeatSeconds * 4));
  if (visibilitySeconds <= heartbeatSeconds) {
    throw new Error(`IBS_VISIBILITY_SECONDS (${visibilitySeconds}) must exceed IBS_HEARTBEAT_SECONDS (${heartbeatSeconds})`);
  }
  // Three missed heartbeats by default (90 s of the 120 s visibility): one failed store write must not stop a build.
  const staleAfterSeconds = number('IBS_RUNNER_STALE_AFTER_SECONDS', Math.min(visibilitySeconds, Math.max(3 * heartbeatSeconds, (visibilitySeconds * 3) / 4)));
  if (!(staleAfterSeconds > heartbeatSeconds && staleAfterSeconds <= visibilitySeconds)) {
    throw new Error(
      `IBS_RUNNER_STALE_AFTER_SECONDS (${staleAfterSeconds}) must exceed IBS_HEARTBEAT_SECONDS (${heartbeatSeconds}) and not exceed IBS_VISIBILITY_SECONDS (${visibilitySeconds})`,
    );
  }
  const killGraceSeconds = number('IBS_KILL_GRACE_SECONDS', 10);
  // Only poll the metadata service where it exists: on EC2 (aws backend) or when a test names a fake one.
  const imdsEndpoint = env.IBS_IMDS_ENDPOINT ?? (backend === 'aws' ? 'http://169.254.169.254' : undefined);
  return {
    backend,
    dataDir,
    publicBaseUrl: envString(env, 'IBS_PUBLIC_URL', `http://127.0.0.1:${envString(env, 'IBS_PORT', '8080')}`),
    runnerId: envString(env, 'IBS_RUNNER_ID', `${hostname()}-${process.pid}`),
    architectures,
    osbuildCommand: envString(env, 'IBS_OSBUILD', 'osbuild'),
    workDir: resolve(envString(env, 'IBS_RUNNER_WORKDIR', join(dataDir, 'runner'))),
    concurrency: count('IBS_RUNNER_CONCURRENCY', 1),
    heartbeatSeconds,
    visibilitySeconds,
    staleAfterSeconds,
    selfStopAfterSeconds: Math.max(2 * heartbeatSeconds, staleAfterSeconds - killGraceSeconds - 2),
    receiveWaitSeconds: number('IBS_RECEIVE_WAIT_SECONDS', 20),
    cacheMaxSize: envString(env, 'IBS_CACHE_MAX_SIZE', '20GiB'),
    minFreeBytes: number('IBS_MIN_FREE_BYTES', 2 * 1024 ** 3),
    killGraceSeconds,
    // 4 h by default; at most a week (a build that long is stuck, not slow).
    buildTimeoutSeconds: envNumber(env, 'IBS_BUILD_TIMEOUT_SECONDS', 4 * 3600, { min: 1, max: 7 * 86400, integer: true }),
    // Progress, log flushes and cancel polls: at most every 2 s (the API promise), at least 200 ms apart.
    progressIntervalMs: Math.min(2000, Math.max(200, number('IBS_PROGRESS_INTERVAL_MS', 2000))),
    maxAttempts: count('IBS_MAX_RECEIVES', 3),
    retryDelaySeconds: number('IBS_RETRY_DELAY_SECONDS', 10),
    uploadAttempts: count('IBS_UPLOAD_ATTEMPTS', 5),
    imdsEndpoint: imdsEndpoint === '' || imdsEndpoint === 'off' ? undefined : imdsEndpoint,
    imdsPollSeconds: number('IBS_IMDS_POLL_SECONDS', 5),
    logLevel: envChoice(env, 'IBS_LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}
