/**
 * What the cloud API v2 reads of a compose: its ComposeStatus with the Koji build, the compose list as composer's
 * GetComposeList answers it (a plain array, ordered by id, no paging or filters), and ComposeMetadata with the
 * request as sent. Reads only report: the Koji import runs on the compose's state change (koji-builds.ts).
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { readPackageSets } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { aggregateStatusValueOf, readComposerImages } from './composer-images.ts';
import { objectReference, presentImageStatus, presentPackageMetadata } from './composer-present.ts';
import { readKojiState, type KojiState } from './koji/koji-builds.ts';

/** The presigned link of a successful compose's image. */
async function imageUrl(deps: ServiceDeps, compose: Compose): Promise<string | undefined> {
  const artifact = compose.artifacts[0];
  if (compose.state !== 'success' || !artifact) return undefined;
  const integrity = { size: artifact.size, sha256: artifact.sha256 };
  return deps.blobs.downloadUrl(artifact.key, { expiresIn: deps.config.downloadUrlTtlSeconds, filename: artifact.name, integrity });
}

/** The compose status with its Koji build: `koji_status.build_id`; a failed import or a refund is the compose's failure. */
function withKojiStatus<S extends { status: 'success' | 'failure' | 'pending' }>(status: S, koji: KojiState | undefined) {
  if (!koji) return status;
  const failed = koji.state === 'failed' || koji.state === 'refunded';
  const pending = koji.state === 'reserved' && status.status === 'success';
  return { ...status, status: failed ? ('failure' as const) : pending ? ('pending' as const) : status.status, koji_status: { build_id: koji.buildId } };
}

/**
 * GET /composes/{id}: the ComposeStatus over every image in request order (`image_status` the first's, `status`
 * aggregated as composer does), with `koji_status` for a Koji compose.
 */
export async function presentComposeStatusOf(deps: ServiceDeps, compose: Compose, known?: ReadonlyMap<string, Compose>) {
  const images = await readComposerImages(deps, compose, known);
  const statuses = [];
  for (const image of images) statuses.push(presentImageStatus(image, await imageUrl(deps, image)));
  const status = {
    ...objectReference(`/composes/${compose.id}`, compose.id, 'ComposeStatus'),
    status: aggregateStatusValueOf(images),
    image_status: statuses[0]!,
    image_statuses: statuses,
  };
  return compose.composerRequest?.koji === undefined ? status : withKojiStatus(status, await readKojiState(deps, compose));
}

/**
 * GET /composes/: every live compose of the organization as a plain JSON array of ComposeStatus ordered by compose
 * id, as composer's GetComposeList answers (its spec names a ComposeList; its handler and tests send the array). The
 * Koji state is read only for composes whose request had a `koji` block. No compose is `null`: composer's list is a Go
 * slice appended to from nil, which encodes as null when nothing was appended.
 */
export async function listComposerStatuses(deps: ServiceDeps, orgId: string) {
  // One read of the whole list (a page walk would read the store's index once a page); the images come from it too.
  const all = (await deps.store.list(orgId, { limit: Number.MAX_SAFE_INTEGER, offset: 0 })).items;
  const byId = new Map(all.map((c) => [c.id, c]));
  // The other images of a several-image compose are part of it, not composes of their own (composer lists root jobs).
  const composes = all.filter((c) => !c.deletedAt && !c.composerParent);
  composes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const statuses = [];
  for (const compose of composes) {
    statuses.push(await presentComposeStatusOf(deps, compose, byId));
  }
  return statuses.length > 0 ? statuses : null;
}

/**
 * GET /composes/{id}/metadata as composer's getComposeMetadataImpl: the object reference and the original `request`
 * at any time; `packages` (the image's: the os set) once successful. `ostree_commit` is never given: ostree image
 * requests are refused here, and composer gives it only for a commit built.
 */
export async function presentComposerMetadata(deps: ServiceDeps, compose: Compose) {
  const reference = objectReference(`/composes/${compose.id}/metadata`, compose.id, 'ComposeMetadata');
  const request = compose.composerRequest ? { request: compose.composerRequest } : {};
  // ComposeMetadata has one `packages`: the first image's, once every image has succeeded.
  if (aggregateStatusValueOf(await readComposerImages(deps, compose)) !== 'success') return { ...reference, ...request };
  const sets = await readPackageSets(deps, compose);
  // The image's packages: the os set when the image type has one (the build root is not in the image).
  const packages = sets.os ?? Object.values(sets).flat();
  return { ...reference, packages: packages.map(presentPackageMetadata), ...request };
}
