import type { Compose } from '../compose/compose.ts';
import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import type { components } from './generated/openapi-types.ts';
import { redactRequestPasswords } from '../blueprint/password-intake.ts';
import { presentAwsUploadStatus } from '../upload/present-aws-upload.ts';

type ImageStatus = components['schemas']['ImageStatus'];
type ComposeStatus = components['schemas']['ComposeStatus'];

/** Internal state → the Image Builder `image_status.status` enum; cancelled is a failure that says so. */
export function imageStatusOf(compose: Compose): ImageStatus['status'] {
  switch (compose.state) {
    case 'pending':
    case 'queued':
      return 'pending';
    case 'building':
      return 'building';
    case 'uploading':
      // An aws upload makes a snapshot and registers an image: the hosted service's `registering`.
      return compose.spec.upload?.type === 'aws' ? 'registering' : 'uploading';
    case 'success':
      return 'success';
    case 'failure':
    case 'cancelled':
      return 'failure';
  }
}

export interface PresentOptions {
  /** Presigned download URL per artifact name (only for successful composes). */
  urls?: Record<string, string>;
}

/** The upload request an image request without one gets (a presigned download link), as the hosted API's required field. */
export const DEFAULT_UPLOAD_REQUEST = { type: 'aws.s3', options: {} } as const;

/** Image requests as responses echo them: each with its upload request (the default where the request had none). */
function withUploadRequests(request: Record<string, unknown>): Record<string, unknown> {
  const images = request.image_requests;
  if (!Array.isArray(images)) return request;
  return {
    ...request,
    image_requests: images.map((image: unknown) =>
      image && typeof image === 'object' && !('upload_request' in image) ? { ...image, upload_request: DEFAULT_UPLOAD_REQUEST } : image,
    ),
  };
}

/**
 * A stored request (of a compose or a blueprint) as responses echo it: without user passwords or their hashes
 * (`hasPassword` instead), and every image request with the upload request it gets.
 */
export const presentComposeRequest = (request: Record<string, unknown>): ComposeStatus['request'] =>
  withUploadRequests(redactRequestPasswords(request)) as ComposeStatus['request'];

/** One item of GET /composes and GET /blueprints/{id}/composes (ComposesResponseItem, plus our finer `status`). */
export function presentComposeListItem(compose: Compose) {
  return {
    id: compose.id,
    request: presentComposeRequest(compose.request),
    created_at: compose.createdAt,
    ...(compose.imageName ? { image_name: compose.imageName } : {}),
    client_id: compose.clientId ?? 'api',
    ...(compose.blueprint ? { blueprint_id: compose.blueprint.id, blueprint_version: compose.blueprint.version } : {}),
    status: compose.state,
  };
}

export function presentComposeStatus(compose: Compose, options: PresentOptions = {}): ComposeStatus {
  const status = imageStatusOf(compose);
  const image: ImageStatus = { status, ...(compose.result?.logError ? { log_error: compose.result.logError } : {}) };
  if (compose.progress) {
    const { done, total, subprogress, pipeline, stage } = compose.progress;
    image.progress = { done, total, ...(subprogress ? { subprogress } : {}), ...(pipeline ? { pipeline } : {}), ...(stage ? { stage } : {}) };
  }
  if (compose.state === 'cancelled') {
    image.error = compose.result?.error ?? composeError(ComposeErrorId.Cancelled, 'compose was cancelled');
  } else if (compose.state === 'failure') {
    image.error = compose.result?.error ?? composeError(ComposeErrorId.Internal, 'compose failed');
  }
  const primary = compose.artifacts[0];
  if (compose.state === 'success' && compose.uploadResult) {
    image.upload_status = presentAwsUploadStatus(compose.uploadResult);
  } else if (compose.state === 'success' && primary && options.urls?.[primary.name]) {
    image.upload_status = { status: 'success', type: compose.spec.uploadType, options: { url: options.urls[primary.name] } };
  }
  return {
    image_status: image,
    request: presentComposeRequest(compose.request),
    state: compose.state,
    created_at: compose.createdAt,
    ...(compose.startedAt ? { started_at: compose.startedAt } : {}),
    ...(compose.finishedAt ? { finished_at: compose.finishedAt } : {}),
    attempt: compose.attempt,
    history: compose.history ?? [{ state: compose.state, at: compose.createdAt }],
    artifacts: compose.artifacts.map((a) => ({
      name: a.name,
      size: a.size,
      sha256: a.sha256,
      content_type: a.contentType,
      ...(options.urls?.[a.name] ? { url: options.urls[a.name] } : {}),
    })),
  };
}
