import type { BlueprintStore } from '../ports/blueprint-store.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { ComposeStore } from '../ports/compose-store.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { Depsolver } from '../packages/package-set.ts';
import type { PackageDetailsSource } from '../packages/package-details.ts';
import type { Logger } from '../log/logger.ts';
import type { RateLimit, RateLimiter } from '../ports/rate-limiter.ts';
import type { ComposeQuotas } from './quota.ts';

/** What the use cases need; each deployment's composition root provides it (local/, functions/aws). */
export interface ServiceDeps {
  store: ComposeStore;
  blobs: BlobStore;
  queue: JobQueue;
  /** Blueprints (absent in functions that never touch them). */
  blueprints?: BlueprintStore;
  /** Absent only where no distribution needs packages (e.g. tests of the test distro). */
  depsolver?: Depsolver;
  /** Descriptions, home pages, build times of repository packages (Weldr's projects/*); absent: not shown. */
  packageDetails?: PackageDetailsSource;
  log: Logger;
  config: ServiceConfig;
  /** Counts requests per organization against config.requestRate (absent: no rate limit). */
  rateLimiter?: RateLimiter;
  /** Free space where this deployment stores data, when it has a disk of its own (local mode); absent on S3/DynamoDB. */
  storage?: () => Promise<StorageHealth>;
}

export interface StorageHealth {
  freeBytes: number;
  /** Below this, new composes are refused and the service reports itself not ready. */
  minFreeBytes: number;
}

export interface ServiceConfig {
  /** Seconds a download URL stays valid. */
  downloadUrlTtlSeconds: number;
  version: string;
  buildCommit?: string;
  /** Payload repositories may be file:// mirrors on this machine's disk (local mode); absent or false: 400. */
  fileRepositories?: boolean;
  /** Per-organization compose quotas (absent: none). */
  quotas?: ComposeQuotas;
  /** Requests per organization and window (absent: no limit). */
  requestRate?: RateLimit;
}
