import type { Compose } from '../compose/compose.ts';
import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import { manifestKey, packagesKey } from '../compose/blob-keys.ts';
import { buildJobFor, type ManifestJob } from '../compose/jobs.ts';
import { buildQueueFor } from '../ports/job-queue.ts';
import { blueprintFromApiCustomizations } from '../blueprint/from-api-customizations.ts';
import { findArchitecture, findDistribution, findImageType } from '../distro/registry.ts';
import type { GeneratedManifest, ManifestRequest } from '../distro/distribution.ts';
import type { ResolvedPackage } from '../packages/package-set.ts';
import { serializeManifest } from '../manifest/manifest.ts';
import { DependencyFailedError, DomainError, NotConfiguredError, UnsatisfiableError, isOutOfSpace } from '../errors.ts';
import type { ServiceDeps } from './deps.ts';

export type ManifestJobOutcome = 'queued' | 'skipped' | 'failed';

/** Builds the ManifestRequest of a stored compose: the single place where request → manifest inputs happens. */
export function manifestRequestOf(compose: Pick<Compose, 'spec' | 'request' | 'seed'>): ManifestRequest {
  return {
    distribution: compose.spec.distribution,
    architecture: compose.spec.architecture,
    imageType: compose.spec.imageType,
    size: compose.spec.size,
    blueprint: blueprintFromApiCustomizations(compose.request.customizations),
    ...(compose.spec.repositories?.length ? { repositories: compose.spec.repositories } : {}),
    seed: compose.seed,
    // Errors name the API's fields (customizations.users[0].name), not the blueprint's.
    fieldStyle: 'api',
  };
}

/**
 * A manifest in two phases, each run once as osbuild/images does: prepare the request (validation, password hashes,
 * partition table) → declare its package sets → depsolve them (none for images without packages) → generate.
 */
export async function generateManifest(
  deps: Pick<ServiceDeps, 'depsolver'>,
  request: ManifestRequest,
): Promise<{ generated: GeneratedManifest; packages: Record<string, ResolvedPackage[]> }> {
  const distro = findDistribution(request.distribution);
  const arch = findArchitecture(distro, request.architecture);
  const imageType = findImageType(distro, arch, request.imageType);
  const prepared = imageType.prepare(request);
  const sets = imageType.packageSets(prepared);
  let packages: Record<string, ResolvedPackage[]> = {};
  let gpgKeys: Record<string, string> = {};
  if (Object.keys(sets).length > 0) {
    if (!deps.depsolver) throw new NotConfiguredError(`no depsolver is configured in this deployment, but ${distro.name} ${imageType.name} needs packages`);
    const target = { architecture: arch.name, releasever: distro.releasever };
    packages = await deps.depsolver.resolve({ ...target, sets });
    // key URLs of repositories with gpgcheck become armored keys for the rpm stage, as osbuild-depsolve-dnf returns them
    gpgKeys = (await deps.depsolver.fetchGpgKeys?.({ ...target, repositories: Object.values(sets).flatMap((s) => s.repositories) })) ?? {};
  }
  return { generated: imageType.generate(prepared, packages, gpgKeys), packages };
}

/**
 * The manifest worker's job: generate the manifest, store it, send the build job, mark the compose `queued`.
 * Idempotent: a redelivered job for a compose that already moved on does nothing.
 * Client-independent failures (depsolve, generation) fail the compose with the reason; infrastructure errors throw so
 * the queue redelivers the job.
 */
export async function generateComposeManifest(deps: ServiceDeps, job: ManifestJob): Promise<ManifestJobOutcome> {
  const log = deps.log.child({ orgId: job.orgId, composeId: job.composeId });
  const compose = await deps.store.get(job.orgId, job.composeId);
  const build = buildJobFor(job.orgId, job.composeId);
  if (compose?.state === 'queued' && compose.manifestKey) {
    // A redelivered job whose build job may not have been sent (a crash between the two writes): send it again; a
    // runner drops the duplicate if both arrive.
    await deps.queue.send(buildQueueFor(compose.spec.architecture), build);
    log.info('build job sent again for a queued compose');
    return 'queued';
  }
  if (!compose || compose.state !== 'pending') {
    log.info('manifest job skipped', { state: compose?.state ?? 'missing' });
    return 'skipped';
  }
  const request = manifestRequestOf(compose);
  let generated: GeneratedManifest;
  let packages: Record<string, ResolvedPackage[]>;
  try {
    ({ generated, packages } = await generateManifest(deps, request));
  } catch (error) {
    if (isInfrastructureError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const id = error instanceof UnsatisfiableError || error instanceof DependencyFailedError ? ComposeErrorId.Depsolve : ComposeErrorId.ManifestGeneration;
    await deps.store.transition(job.orgId, job.composeId, {
      from: ['pending'],
      to: 'failure',
      set: { finishedAt: new Date().toISOString(), result: { success: false, error: composeError(id, message) } },
    });
    log.warn('manifest generation failed', { error });
    return 'failed';
  }

  const key = manifestKey(job.orgId, job.composeId);
  try {
    await deps.blobs.put(key, serializeManifest(generated.manifest), { contentType: 'application/json' });
    await deps.blobs.put(packagesKey(job.orgId, job.composeId), JSON.stringify(packages), { contentType: 'application/json' });
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    // A full disk will not heal by retrying at once: the compose fails saying so instead of waiting as `pending`.
    await deps.store.transition(job.orgId, job.composeId, {
      from: ['pending'],
      to: 'failure',
      set: { finishedAt: new Date().toISOString(), result: { success: false, error: composeError(ComposeErrorId.Internal, 'could not store the manifest: the service is out of storage space') } },
    });
    log.error('manifest not stored: storage full', { error });
    return 'failed';
  }
  // Queued first, then the build job: a runner never receives a job for a compose it cannot claim yet. A failed send
  // throws, the manifest job is redelivered and sends the build job again (above).
  const queued = await deps.store.transition(job.orgId, job.composeId, {
    from: ['pending'],
    to: 'queued',
    set: { manifestKey: key, exports: generated.exports },
  });
  if (!queued) {
    log.info('compose changed while generating its manifest');
    return 'skipped';
  }
  await deps.queue.send(buildQueueFor(compose.spec.architecture), build);
  log.info('compose queued for build', { exports: generated.exports });
  return 'queued';
}

/** Errors worth a retry (storage, network) rather than a failed compose. */
const isInfrastructureError = (error: unknown): boolean => {
  if (error instanceof DomainError) return false;
  const e = error as { $metadata?: unknown; $retryable?: unknown; code?: unknown } | undefined;
  // AWS SDK errors (service and transport) carry $metadata; Node's network errors an errno code; fetch timeouts are
  // DOMExceptions.
  return (
    e?.$metadata !== undefined ||
    e?.$retryable !== undefined ||
    NETWORK_CODES.has(String(e?.code)) ||
    (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
};

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'SQLITE_BUSY']);
