import type { RepositoryConfig } from '../packages/package-set.ts';
import type { AwsUploadResult, AwsUploadTarget } from '../upload/aws-target.ts';

/**
 * The Compose: one user request to build one image, and everything we know about its build.
 * Internal states are finer than the Image Builder API's `image_status.status` (see present-compose.ts).
 */
export const COMPOSE_STATES = ['pending', 'queued', 'building', 'uploading', 'success', 'failure', 'cancelled'] as const;
export type ComposeState = (typeof COMPOSE_STATES)[number];

export const FINAL_STATES: readonly ComposeState[] = ['success', 'failure', 'cancelled'];
export const isFinalState = (state: ComposeState): boolean => FINAL_STATES.includes(state);

/** Allowed transitions; the stores enforce them with conditional writes. */
export const TRANSITIONS: Readonly<Record<ComposeState, readonly ComposeState[]>> = {
  pending: ['queued', 'failure', 'cancelled'],
  queued: ['building', 'failure', 'cancelled'],
  // building -> queued: a runner handed the job back (SIGTERM, spot interruption) or a reaper requeued it.
  // building/uploading -> building: a newer delivery of the same build job takes over from a runner that died.
  building: ['building', 'uploading', 'queued', 'failure', 'cancelled'],
  uploading: ['building', 'success', 'queued', 'failure', 'cancelled'],
  success: [],
  failure: [],
  cancelled: [],
};

export const canTransition = (from: ComposeState, to: ComposeState): boolean => TRANSITIONS[from].includes(to);

export interface ComposeProgress {
  done: number;
  total: number;
  subprogress?: { done: number; total: number };
  /** Name of the pipeline osbuild is running. */
  pipeline?: string;
  /** Type of the stage osbuild is running. */
  stage?: string;
}

export interface Artifact {
  /** File name as exported by osbuild (e.g. disk.qcow2). */
  name: string;
  /** BlobStore key. */
  key: string;
  size: number;
  sha256: string;
  contentType: string;
}

export interface ComposeError {
  /** Image Builder error id (see compose-errors.ts). */
  id: number;
  reason: string;
  details?: unknown;
}

export interface BuildResult {
  success: boolean;
  /** Stage type that failed (osbuild exit 1). */
  failedStage?: string;
  /** Pipeline containing the failed stage. */
  failedPipeline?: string;
  error?: ComposeError;
  /** Set when part or all of the build log could not be stored (the build's own result stands). */
  logError?: string;
}

/** What the user asked for, after validation and alias resolution. */
export interface ImageRequestSpec {
  distribution: string;
  architecture: string;
  /** Canonical image type name (aliases resolved). */
  imageType: string;
  /** Requested size in bytes; 0 = image type default. */
  size: number;
  uploadType: string;
  /** The `aws` upload target, resolved at request time (absent for aws.s3). */
  upload?: AwsUploadTarget;
  /** Replace the distribution's repositories for depsolving and the manifest (cloud API v2 `image_request.repositories`). */
  repositories?: RepositoryConfig[];
}

export interface Compose {
  id: string;
  orgId: string;
  /** The request as accepted by the API (after validation), echoed back by GET /composes/{id}. */
  request: Record<string, unknown>;
  spec: ImageRequestSpec;
  imageName?: string;
  clientId?: string;
  /** The blueprint (and its version) the compose was built from, when it was. */
  blueprint?: { id: string; version: number };
  state: ComposeState;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  heartbeatAt?: string;
  runnerId?: string;
  /**
   * Build attempts started so far (0 before the first; each claim or takeover adds one). Keys the attempt's log chunks,
   * artifacts and build directory, so a later attempt never overwrites an earlier one.
   */
  attempt: number;
  /** Queue receive count of the build job delivery that owns the compose (a newer delivery may take over). */
  delivery?: number;
  progress?: ComposeProgress;
  result?: BuildResult;
  artifacts: Artifact[];
  /** The AMIs an `aws` upload registered (recorded with `success`). */
  uploadResult?: AwsUploadResult;
  /** BlobStore key of the osbuild manifest once generated. */
  manifestKey?: string;
  /** Pipelines to export from the manifest. */
  exports?: string[];
  /** Seed for every random value in the manifest (UUIDs, salts): same seed, same manifest. */
  seed: string;
  /** Set by POST /cancel while a runner owns the compose; the runner stops osbuild and records `cancelled`. */
  cancelRequestedAt?: string;
  /** Queue message id of the build job that owns the compose (duplicate jobs are recognised by it). */
  jobMessageId?: string;
  /** Every state the compose entered, in order, with the time (appended by the store on each transition). */
  history?: { state: ComposeState; at: string }[];
  /** Set by DELETE /composes/{id}: gone from the API (it still counts toward quotas); artifacts expire with retention. */
  deletedAt?: string;
  /** Why the last attempt was handed back (spot interruption, shutdown) – informational. */
  requeueReason?: string;
  /** The cloud API v2 ComposeRequest as sent (user passwords left out): GET /composes/{id}/metadata echoes it. */
  composerRequest?: Record<string, unknown>;
  /** A cloud API v2 compose of several images: on its first compose (the v2 id), every image's compose id in request order. */
  composerImages?: string[];
  /** On the other images' composes of such a compose: the v2 compose (first image) they belong to. */
  composerParent?: string;
}

/** Fields a transition or a patch may set. */
export type ComposePatch = Partial<
  Pick<
    Compose,
    | 'startedAt'
    | 'finishedAt'
    | 'heartbeatAt'
    | 'runnerId'
    | 'attempt'
    | 'delivery'
    | 'progress'
    | 'result'
    | 'artifacts'
    | 'uploadResult'
    | 'manifestKey'
    | 'exports'
    | 'cancelRequestedAt'
    | 'requeueReason'
    | 'jobMessageId'
    | 'deletedAt'
  >
>;
