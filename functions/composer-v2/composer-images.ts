/**
 * A cloud API v2 compose of several images (a Koji compose with one image request per architecture × image type, as
 * koji-osbuild sends it) is one internal compose per image, created together; the v2 id is the first one's, which
 * lists every image's compose id in request order (`composerImages`), the others naming it (`composerParent`).
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { isFinalState } from '../../layers/src/compose/compose.ts';
import { cancelCompose, deleteCompose } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { ConflictError, NotFoundError } from '../../layers/src/errors.ts';
import { composeStatusValueOf } from './composer-present.ts';

/** The composes of a v2 compose's images in request order (the compose itself when it has one image). */
export async function readComposerImages(deps: Pick<ServiceDeps, 'store'>, compose: Compose, known?: ReadonlyMap<string, Compose>): Promise<Compose[]> {
  const ids = compose.composerImages;
  if (!ids || ids.length <= 1) return [compose];
  const images: Compose[] = [];
  for (const id of ids) {
    const image = id === compose.id ? compose : (known?.get(id) ?? (await deps.store.get(compose.orgId, id)));
    if (!image) throw new Error(`image compose ${id} of compose ${compose.id} is missing`);
    images.push(image);
  }
  return images;
}

/** The compose-level status as composer aggregates its image builds: failure if any failed, success when all did. */
export function aggregateStatusValueOf(images: readonly Compose[]): 'success' | 'failure' | 'pending' {
  const values = images.map(composeStatusValueOf);
  if (values.includes('failure')) return 'failure';
  return values.every((v) => v === 'success') ? 'success' : 'pending';
}

/** True when every image of the compose has finished (a Koji build is settled only then). */
export const allImagesFinished = (images: readonly Compose[]) => images.every((image) => isFinalState(image.state));

/** Cancels the images still in the works (one image failed or was cancelled: the others cannot make the build). */
export async function cancelUnfinishedImages(deps: ServiceDeps, images: readonly Compose[]): Promise<void> {
  for (const image of images) {
    if (isFinalState(image.state)) continue;
    try {
      await cancelCompose(deps, image.orgId, image.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/** DELETE /composes/{id} of a compose just read: every image's compose, the v2 one last (an image already gone is no error). */
export async function deleteComposerCompose(deps: ServiceDeps, compose: Compose): Promise<void> {
  const { orgId, id } = compose;
  for (const image of (compose.composerImages ?? []).filter((image) => image !== id)) {
    try {
      await deleteCompose(deps, orgId, image);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  await deleteCompose(deps, orgId, id);
}
