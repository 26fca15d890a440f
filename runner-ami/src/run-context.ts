/** What the parts of one build job run share: the runner's ports, the job's message, the claimed compose, its log. */
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { JobQueue } from '../../layers/src/ports/job-queue.ts';
import type { RunnerConfig } from './config.ts';
import type { ComposeLease } from './compose-lease.ts';
import type { BuildProtection } from './instance-protection.ts';
import type { JobMessage } from './job-message.ts';
import type { LogChunkWriter } from './log-writer.ts';
import type { OsbuildCommand, OsbuildProbe } from './osbuild-command.ts';

export interface RunnerDeps {
  store: ComposeStore;
  blobs: BlobStore;
  queue: JobQueue;
  config: RunnerConfig;
  log: Logger;
  osbuild: { command: OsbuildCommand; probe: OsbuildProbe };
  protection: BuildProtection;
  /** Builds running on this agent right now (including the caller). */
  activeBuilds: () => number;
  /** First upload retry delay (tests shorten it). */
  uploadBackoffMs?: number;
  /** Observability hooks (benchmarks). */
  hooks?: { osbuildStarted?: (composeId: string) => void };
}

/**
 * Why a run stops before its build is done: the user cancelled (the compose is already `cancelled`), the agent hands
 * the build back (shutdown, spot notice), or the compose is no longer this run's — `storeSilent` when the run could
 * not reach the store for so long that another runner may soon take the build over.
 */
export type StopRequest =
  | { kind: 'cancel' }
  | { kind: 'handback'; reason: string }
  | { kind: 'lost'; reason: string; storeSilent?: boolean };

/** How one delivery ended; `unsupported`: a job of an unknown schema, left unclaimed for the dead-letter path. */
export type JobOutcome =
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'handed-back'
  | 'retry'
  | 'lost'
  | 'dropped'
  | 'later'
  | 'ignored'
  | 'unsupported';

/** One claimed compose being built: everything the settle, clean-up and upload steps need. */
export interface RunContext {
  readonly deps: RunnerDeps;
  readonly job: JobMessage;
  readonly log: Logger;
  /** The compose as this run claimed it (its attempt is this run's). */
  readonly compose: Compose;
  readonly lease: ComposeLease;
  readonly buildLog: LogChunkWriter;
}

/** An error's message with its cause's, for build logs and compose errors. */
export const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
};
