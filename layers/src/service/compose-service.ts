import { randomBytes, randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import type { Compose, ImageRequestSpec } from '../compose/compose.ts';
import { isFinalState } from '../compose/compose.ts';
import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import { logPrefix, packagesKey } from '../compose/blob-keys.ts';
import { manifestJobFor } from '../compose/jobs.ts';
import { ensureUploadTypeSupported } from '../compose/upload-types.ts';
import { manifestRequestOf } from './generate-compose-manifest.ts';
import { findArchitecture, findDistribution, findImageType } from '../distro/registry.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { ResolvedPackage } from '../packages/package-set.ts';
import { imageSboms } from '../sbom/spdx.ts';
import { hashRequestPasswordsYielding } from '../blueprint/password-intake.ts';
import type { ServiceDeps } from './deps.ts';
import { checkComposeRepositories } from './repository-policy.ts';
import { storeComposeWithinQuota } from './quota.ts';
import { checkTargetImageSize } from '../blueprint/target-size-limits.ts';
import { resolveAwsUploadRequest } from '../upload/aws-upload-options.ts';

/** A ComposeRequest that passed schema validation (types from the OpenAPI document). */
export interface AcceptedComposeRequest {
  distribution: string;
  image_name?: string;
  client_id?: string;
  image_requests: { architecture: string; image_type: string; size?: number; upload_request?: { type: string; options?: unknown } }[];
  customizations?: unknown;
}

/** Checks what the schema cannot (distribution, architecture, image type, customizations) and returns the spec. */
export function resolveImageRequest(request: AcceptedComposeRequest): ImageRequestSpec {
  const [image] = request.image_requests;
  ensureUploadTypeSupported(image.upload_request?.type, 'image_requests[0].upload_request.type');
  const distro = findDistribution(request.distribution);
  const arch = findArchitecture(distro, image.architecture, 'image_requests[0].architecture');
  const imageType = findImageType(distro, arch, image.image_type, 'image_requests[0].image_type');
  checkTargetImageSize(imageType.name, image.size ?? 0, request.customizations);
  imageType.validate(
    manifestRequestOf({
      spec: { distribution: distro.name, architecture: arch.name, imageType: imageType.name, size: image.size ?? 0, uploadType: '' },
      request: request as unknown as Record<string, unknown>,
      seed: '',
    }),
  );
  const { upload_request: upload } = image;
  const facts = { architecture: arch.name, filename: imageType.filename, bootMode: imageType.bootMode, size: image.size ?? 0 };
  return {
    distribution: distro.name,
    architecture: arch.name,
    imageType: imageType.name,
    size: image.size ?? 0,
    uploadType: upload?.type ?? 'aws.s3',
    ...(upload?.type === 'aws' ? { upload: resolveAwsUploadRequest(upload.options, facts) } : {}),
  };
}

/**
 * Validates, stores the compose as `pending` and sends its manifest job. Nothing is written for a rejected request;
 * user passwords are stored only as crypt hashes (hashed here, after validation, as the hosted service does).
 */
export async function createCompose(
  deps: ServiceDeps,
  orgId: string,
  request: AcceptedComposeRequest,
  origin?: { blueprint: { id: string; version: number } },
): Promise<Compose> {
  const compose = await prepareCompose(deps, orgId, request, origin);
  await storeComposeWithinQuota(deps, compose);
  await queueManifestJob(deps, compose);
  return compose;
}

/** The new compose's record for a checked request, not yet stored (so a batch can be admitted at once). */
export async function prepareCompose(
  deps: ServiceDeps,
  orgId: string,
  request: AcceptedComposeRequest,
  origin?: { blueprint: { id: string; version: number } },
): Promise<Compose> {
  const spec = resolveImageRequest(request);
  checkComposeRepositories(deps.config, request);
  const now = new Date().toISOString();
  const compose: Compose = {
    id: randomUUID(),
    orgId,
    request: (await hashRequestPasswordsYielding(request)) as unknown as Record<string, unknown>,
    spec,
    imageName: request.image_name,
    clientId: request.client_id ?? 'api',
    ...(origin ? { blueprint: origin.blueprint } : {}),
    state: 'pending',
    createdAt: now,
    updatedAt: now,
    attempt: 0,
    artifacts: [],
    seed: randomBytes(16).toString('hex'),
  };
  return compose;
}

/** Queues a stored compose's manifest job; a compose whose job cannot be queued fails rather than wait forever. */
export async function queueManifestJob(deps: ServiceDeps, compose: Compose): Promise<void> {
  const { orgId, spec } = compose;
  const job = manifestJobFor(orgId, compose.id);
  try {
    await deps.queue.send('manifest', job);
  } catch (error) {
    // The compose must not wait forever for a job that was never queued.
    await deps.store.transition(orgId, compose.id, {
      from: ['pending'],
      to: 'failure',
      set: { finishedAt: new Date().toISOString(), result: { success: false, error: composeError(ComposeErrorId.Internal, 'could not queue the manifest job') } },
    });
    throw new Error(`could not queue the manifest job of compose ${compose.id}`, { cause: error });
  }
  deps.log.info('compose accepted', { orgId, composeId: compose.id, ...spec });
}

export async function getCompose(deps: ServiceDeps, orgId: string, id: string): Promise<Compose> {
  const compose = await deps.store.get(orgId, id);
  if (!compose || compose.deletedAt) throw new NotFoundError(`compose ${id} not found`);
  return compose;
}

/**
 * Soft delete, as the hosted service does: the compose leaves every API answer (it still counts toward quotas) and
 * an unfinished one is cancelled first, so no runner keeps building it.
 */
export async function deleteCompose(deps: ServiceDeps, orgId: string, id: string): Promise<void> {
  try {
    await cancelCompose(deps, orgId, id);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  const deleted = await deps.store.patch(orgId, id, { deletedAt: new Date().toISOString() });
  if (!deleted) throw new NotFoundError(`compose ${id} not found`);
}

/**
 * Cancel wins or loses atomically: one conditional write moves any unfinished compose straight to `cancelled`, so a
 * runner's later success write (conditional on `uploading` and its ownership) cannot land; the runner notices, stops
 * osbuild and removes what it uploaded. A compose that already finished is a conflict naming its final state.
 */
export async function cancelCompose(deps: ServiceDeps, orgId: string, id: string): Promise<Compose> {
  const now = new Date().toISOString();
  for (;;) {
    const compose = await getCompose(deps, orgId, id);
    if (isFinalState(compose.state)) {
      throw new ConflictError(`compose ${id} already finished (${compose.state})`, { state: compose.state });
    }
    const cancelled = await deps.store.transition(orgId, id, {
      from: [compose.state],
      to: 'cancelled',
      set: { finishedAt: now, cancelRequestedAt: now, result: { success: false, error: composeError(ComposeErrorId.Cancelled, 'compose was cancelled') } },
    });
    if (cancelled) {
      await cancelOtherImages(deps, cancelled);
      return cancelled;
    }
    // The state moved under us (a runner claimed, uploaded or finished it): look again.
  }
}

/** A compose of several images (cloud API v2) is cancelled whole: its other images too, now, not when it is settled. */
async function cancelOtherImages(deps: ServiceDeps, compose: Compose): Promise<void> {
  for (const image of compose.composerImages ?? []) {
    if (image === compose.id) continue;
    try {
      await cancelCompose(deps, compose.orgId, image);
    } catch (error) {
      // Already finished, or deleted: nothing left to cancel.
      if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
    }
  }
}

export interface LogSlice {
  offset: number;
  nextOffset: number;
  complete: boolean;
  text: string;
}

const MAX_LOG_SLICE = 1024 * 1024;

/** The build log from `offset`, across the log chunks the runner appended. */
export async function readComposeLogs(deps: ServiceDeps, orgId: string, id: string, offset: number): Promise<LogSlice> {
  const compose = await getCompose(deps, orgId, id);
  const chunks = await deps.blobs.list(logPrefix(orgId, id));
  const parts: Buffer[] = [];
  let position = 0;
  let taken = 0;
  for (const chunk of chunks) {
    const end = position + chunk.size;
    if (end > offset && taken < MAX_LOG_SLICE) {
      const stream = await deps.blobs.get(chunk.key, { start: Math.max(0, offset - position) });
      if (stream) {
        const data = Buffer.from(await text(stream));
        const part = data.subarray(0, MAX_LOG_SLICE - taken);
        parts.push(part);
        taken += part.length;
      }
    }
    position = end;
  }
  return {
    offset,
    nextOffset: offset + taken,
    complete: isFinalState(compose.state) && offset + taken >= position,
    text: Buffer.concat(parts).toString('utf8'),
  };
}

export async function readManifests(deps: ServiceDeps, compose: Compose): Promise<unknown[]> {
  if (!compose.manifestKey) return [];
  const stream = await deps.blobs.get(compose.manifestKey);
  return stream ? [JSON.parse(await text(stream))] : [];
}

/** The depsolved package sets of a compose (build root, os, ...); empty until its manifest is generated. */
export async function readPackageSets(deps: ServiceDeps, compose: Compose): Promise<Record<string, ResolvedPackage[]>> {
  const stream = await deps.blobs.get(packagesKey(compose.orgId, compose.id));
  return stream ? (JSON.parse(await text(stream)) as Record<string, ResolvedPackage[]>) : {};
}

/** SPDX documents of the image content and of the build root, in osbuild-composer's ImageSBOM shape. */
export async function readSboms(deps: ServiceDeps, compose: Compose) {
  const packages = await readPackageSets(deps, compose);
  return imageSboms({
    distribution: compose.spec.distribution,
    architecture: compose.spec.architecture,
    imageType: compose.spec.imageType,
    packages,
    documentId: compose.id,
    created: compose.createdAt,
  }).map(({ pipeline, document }) => ({
    pipeline_name: pipeline,
    pipeline_purpose: pipeline === 'build' ? 'buildroot' : 'image',
    sbom_type: 'spdx',
    sbom: document,
  }));
}
