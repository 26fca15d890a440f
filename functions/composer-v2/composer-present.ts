/**
 * Our composes as the cloud API v2 shows them (ComposeStatus, ImageStatus with upload_status, ComposeMetadata, ...):
 * every object an ObjectReference (`href`, `id`, `kind`), states mapped onto composer's status values.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { imageStatusOf } from '../../layers/src/api/present-compose.ts';
import type { ResolvedPackage } from '../../layers/src/packages/package-set.ts';
import { presentAwsUploadStatus } from '../../layers/src/upload/present-aws-upload.ts';
import { COMPOSER_API_BASE } from './composer-errors.ts';

/** `{href, id, kind}` of an object under the API base. */
export const objectReference = (path: string, id: string, kind: string) => ({ href: `${COMPOSER_API_BASE}${path}`, id, kind });

/** The compose-level ComposeStatusValue: only success, failure or pending (still in the works). */
export function composeStatusValueOf(compose: Compose): 'success' | 'failure' | 'pending' {
  const image = imageStatusOf(compose);
  return image === 'success' || image === 'failure' ? image : 'pending';
}

/** The ImageStatus of the compose's one image; `url` is the presigned link of its artifact once successful. */
export function presentImageStatus(compose: Compose, url: string | undefined) {
  const image: Record<string, unknown> = { status: imageStatusOf(compose) };
  if (compose.progress) {
    const { done, total, subprogress } = compose.progress;
    image.progress = { done, total, ...(subprogress ? { subprogress } : {}) };
  }
  if (compose.state === 'cancelled') image.error = compose.result?.error ?? composeError(ComposeErrorId.Cancelled, 'compose was cancelled');
  else if (compose.state === 'failure') image.error = compose.result?.error ?? composeError(ComposeErrorId.Internal, 'compose failed');
  let upload: Record<string, unknown> | undefined;
  if (compose.state === 'success' && compose.uploadResult) upload = presentAwsUploadStatus(compose.uploadResult) as unknown as Record<string, unknown>;
  else if (compose.state === 'success' && url) upload = { status: 'success', type: compose.spec.uploadType, options: { url } };
  if (upload) Object.assign(image, { upload_status: upload, upload_statuses: [upload] });
  return image;
}

/** A resolved package as composer's PackageMetadata (the package checksum stands in for the header MD5, as in the hosted API). */
export function presentPackageMetadata(p: ResolvedPackage) {
  const { name, version, release, arch, checksum } = p;
  return { type: 'rpm', name, version, release, arch, sigmd5: checksum, checksum, ...(p.epoch ? { epoch: String(p.epoch) } : {}) };
}
