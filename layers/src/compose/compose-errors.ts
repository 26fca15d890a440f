import type { ComposeError } from './compose.ts';

/** Error ids reported in `image_status.error.id`; stable, documented in docs/architecture.md. */
export const ComposeErrorId = {
  Cancelled: 1,
  ManifestGeneration: 2,
  Depsolve: 3,
  BuildFailed: 4,
  ManifestInvalid: 5,
  SourceDownload: 6,
  Upload: 7,
  RunnerLost: 8,
  OsbuildMissing: 9,
  Internal: 10,
  DiskSpace: 11,
} as const;

export const composeError = (id: number, reason: string, details?: unknown): ComposeError =>
  details === undefined ? { id, reason } : { id, reason, details };
