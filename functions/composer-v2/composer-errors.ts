/**
 * osbuild-composer's cloud API v2 error catalogue (internal/cloudapi/v2/errors.go): every error answer of this API is
 * one of these, as `{kind: "Error", id, code: "IMAGE-BUILDER-COMPOSER-<id>", href, reason, operation_id, details?}`,
 * with the HTTP status the catalogue gives it. Our domain errors are mapped onto it in presentComposerError.
 */
import { AuthRefusal } from '../api/auth.ts';
import { HttpRefusal } from '../api/error-responses.ts';
import type { ErrorPresenter } from '../api/http.ts';
import { DomainError, RateLimitedError, ValidationError, isOutOfSpace } from '../../layers/src/errors.ts';

export const COMPOSER_API_BASE = '/api/image-builder-composer/v2';
const ERROR_HREF = `${COMPOSER_API_BASE}/errors`;
const CODE_PREFIX = 'IMAGE-BUILDER-COMPOSER-';

/** Error ids we raise ourselves (the names of errors.go). */
export const ComposerErrorCode = {
  Unauthenticated: 401,
  Unauthorized: 2,
  UnsupportedMediaType: 3,
  UnsupportedDistribution: 4,
  UnsupportedArchitecture: 5,
  UnsupportedImageType: 6,
  InvalidRepository: 7,
  DNFError: 8,
  InvalidComposeId: 14,
  ComposeNotFound: 15,
  InvalidErrorId: 16,
  ErrorNotFound: 17,
  InvalidPageParam: 18,
  InvalidSizeParam: 19,
  BodyDecodingError: 20,
  ResourceNotFound: 21,
  MethodNotAllowed: 22,
  InvalidNumberOfImageBuilds: 25,
  TenantNotFound: 28,
  NoGPGKey: 29,
  ValidationFailed: 30,
  ComposeBadState: 31,
  InvalidCustomization: 35,
  InvalidUploadTarget: 38,
  BlueprintOrCustomNotBoth: 39,
  MismatchedDistribution: 40,
  BadRequest: 42,
  FailedToDepsolve: 1002,
  EnqueueingJob: 1005,
  Unspecified: 10000,
} as const;

/** [id, HTTP status, reason] in errors.go's order (GET /errors pages through it in this order). */
export const COMPOSER_ERRORS: readonly (readonly [number, number, string])[] = [
  [401, 401, 'Account authentication could not be verified'],
  [2, 403, 'Account is unauthorized to perform this action'],
  [3, 415, "Only 'application/json' content is supported"],
  [4, 400, 'Unsupported distribution'],
  [5, 400, 'Unsupported architecture'],
  [6, 400, 'Unsupported image type'],
  [7, 400, 'Must specify baseurl, mirrorlist, or metalink'],
  [8, 400, 'Failed to depsolve packages'],
  [9, 400, 'Invalid OSTree ref'],
  [10, 400, 'Error resolving OSTree repo'],
  [11, 400, 'Failed to get manifest'],
  [14, 400, 'Invalid format for compose id'],
  [15, 404, 'Compose with given id not found'],
  [16, 400, 'Invalid format for error id, it should be an integer as a string'],
  [17, 404, 'Error with given id not found'],
  [18, 400, 'Invalid format for page param, it should be an integer as a string'],
  [19, 400, 'Invalid format for size param, it should be an integer as a string'],
  [20, 400, 'Malformed json, unable to decode body'],
  [21, 404, "Requested resource doesn't exist"],
  [22, 405, "Requested method isn't supported for resource"],
  [23, 406, "Only 'application/json' content is supported"],
  [24, 400, 'BaseURL must be specified for payload repositories'],
  [26, 404, 'Job with given id has an invalid type'],
  [25, 400, 'Compose request has unsupported number of image builds'],
  [27, 400, 'Invalid OSTree parameters or parameter combination'],
  [28, 400, 'Tenant not found in JWT claims'],
  [1022, 400, 'Artifact not found'],
  [29, 400, 'Invalid repository, when check_gpg is set, gpgkey must be specified'],
  [30, 400, 'Request could not be validated'],
  [31, 400, 'Compose is running or has failed'],
  [32, 400, "This compose doesn't support the creation of multiple images"],
  [33, 400, 'Invalid format for image id'],
  [34, 400, 'Image with given id not found'],
  [35, 400, 'Invalid image customization'],
  [36, 400, 'local_save is not enabled'],
  [37, 400, 'Requested partitioning mode is invalid'],
  [38, 400, 'Invalid upload target for image type'],
  [39, 400, 'Invalid request, include blueprint or customizations, not both'],
  [40, 400, 'Invalid request, Blueprint and Cloud API request Distribution must match'],
  [41, 400, 'Invalid request, Blueprint and Cloud API request Architecture must match'],
  [42, 400, 'Invalid request, see details for more information'],
  [1000, 500, 'Failed to initialize blueprint'],
  [1001, 500, 'Failed to generate manifest seed'],
  [1002, 500, 'Failed to depsolve packages'],
  [1003, 500, 'Failed to marshal struct'],
  [1004, 500, 'Failed to unmarshal struct'],
  [1005, 500, 'Failed to enqueue job'],
  [1006, 500, 'Compose has more than one upload target'],
  [1007, 500, 'Compose has unknown upload target'],
  [1008, 500, 'Unable to load openapi spec'],
  [1009, 500, 'Unable to parse manifest version'],
  [1010, 500, 'Unknown manifest version'],
  [1011, 500, 'Unable to convert ostree commit stage metadata'],
  [1012, 500, 'OSBuildJobResult does not have expected fields set'],
  [1013, 500, 'Unable to get depsolve job status'],
  [1014, 500, 'Depsolve job was cancelled'],
  [1015, 500, 'Compose has unexpected number of image builds'],
  [1016, 500, 'Error checking status of build job dependencies'],
  [1017, 500, 'Unable to get osbuild job status'],
  [1018, 500, 'Unable to get ec2 job status'],
  [1019, 500, 'Unable to get job type of existing job'],
  [1020, 500, 'Unable to retrieve tenant from request context'],
  [1021, 500, 'Unable to get list of composes'],
  [1023, 500, 'Unable to delete job'],
  [10000, 500, 'Unspecified internal error '],
  [10001, 500, 'Error is not an instance of HTTPError'],
  [10002, 500, 'Error does not exist'],
  [10003, 500, 'OperationID is empty or is not a string'],
];

/** A refusal of this API with its catalogue id; `details` says what exactly was wrong. */
export class ComposerError extends Error {
  constructor(
    readonly code: number,
    readonly details?: string,
    options?: { cause?: unknown },
  ) {
    super(details ?? `composer error ${code}`, options);
    this.name = 'ComposerError';
  }
}

/** The catalogue entry of `id` (errors.go's find: an unknown id is 10002). */
export function findComposerError(id: number): { id: number; status: number; reason: string } {
  const entry = COMPOSER_ERRORS.find(([code]) => code === id) ?? COMPOSER_ERRORS.find(([code]) => code === 10002)!;
  return { id: entry[0], status: entry[1], reason: entry[2] };
}

/** One Error object as composer's APIError builds it. */
export function composerErrorBody(id: number, operationId: string, details?: unknown) {
  const entry = findComposerError(id);
  return {
    kind: 'Error',
    id: String(entry.id),
    code: `${CODE_PREFIX}${entry.id}`,
    href: `${ERROR_HREF}/${entry.id}`,
    reason: entry.reason,
    operation_id: operationId,
    ...(details === undefined ? {} : { details }),
  };
}

/** Which catalogue error a field's validation failure is (the field names of our compose intake). */
function codeOfInvalidField(field: string): number {
  if (/(^|\.)distribution$/.test(field)) return ComposerErrorCode.UnsupportedDistribution;
  if (/(^|\.)architecture$/.test(field)) return ComposerErrorCode.UnsupportedArchitecture;
  if (/(^|\.)image_type$/.test(field)) return ComposerErrorCode.UnsupportedImageType;
  if (/upload/.test(field)) return ComposerErrorCode.InvalidUploadTarget;
  if (/^customizations|^blueprint\.customizations/.test(field)) return ComposerErrorCode.InvalidCustomization;
  if (/^(id|composeId)$/.test(field)) return ComposerErrorCode.InvalidComposeId;
  return ComposerErrorCode.ValidationFailed;
}

const HTTP_REFUSAL_CODES: Readonly<Record<number, number>> = {
  400: ComposerErrorCode.BodyDecodingError,
  404: ComposerErrorCode.ResourceNotFound,
  405: ComposerErrorCode.MethodNotAllowed,
  413: ComposerErrorCode.BadRequest,
  415: ComposerErrorCode.UnsupportedMediaType,
};

/** The catalogue id (and details) a thrown error answers with; a status only where the catalogue has none. */
function classify(error: unknown): { code: number; details?: string; status?: number; headers?: Record<string, string> } {
  if (error instanceof ComposerError) return { code: error.code, ...(error.details ? { details: error.details } : {}) };
  if (error instanceof AuthRefusal) return { code: ComposerErrorCode.Unauthenticated, details: error.message };
  if (error instanceof HttpRefusal) return { code: HTTP_REFUSAL_CODES[error.status] ?? ComposerErrorCode.BadRequest, details: error.message };
  if (error instanceof ValidationError) return { code: codeOfInvalidField(error.field), details: error.message };
  if (error instanceof RateLimitedError) {
    const retry = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    return { code: ComposerErrorCode.BadRequest, details: error.message, status: 429, headers: { 'retry-after': retry } };
  }
  if (error instanceof DomainError) {
    switch (error.kind) {
      case 'not-found':
        return { code: ComposerErrorCode.ComposeNotFound, details: error.message };
      case 'conflict':
        return { code: ComposerErrorCode.ComposeBadState, details: error.message };
      case 'unsatisfiable':
        return { code: ComposerErrorCode.DNFError, details: error.message };
      case 'dependency-failed':
        return { code: ComposerErrorCode.FailedToDepsolve, details: error.message };
      case 'quota-exceeded':
        return { code: ComposerErrorCode.Unauthorized, details: error.message };
      case 'storage-full':
      case 'not-configured':
        return { code: ComposerErrorCode.EnqueueingJob, details: error.message };
      default:
        return { code: ComposerErrorCode.BadRequest, details: error.message };
    }
  }
  if (isOutOfSpace(error)) return { code: ComposerErrorCode.EnqueueingJob, details: 'the service is out of storage space; nothing was saved, try again later' };
  return { code: ComposerErrorCode.Unspecified };
}

/** The ErrorPresenter of this API (functions/api/http.ts): composer's Error body and the catalogue's status. */
export const presentComposerError: ErrorPresenter = (error, context) => {
  const { code, details, status, headers } = classify(error);
  const entry = findComposerError(code);
  if (entry.status >= 500) context.log.error('composer API request failed', { requestId: context.requestId, path: context.path, error });
  // Internal errors name the request id instead of the internals (as the hosted API's 500s do).
  const shown = entry.status >= 500 && details === undefined ? `request id ${context.requestId}` : details;
  return { status: status ?? entry.status, body: composerErrorBody(entry.id, context.operationId, shown), ...(headers ? { headers } : {}) };
};
