/**
 * POST /compose of the cloud API v2 over the hosted compose use case: the request read into hosted ones (one compose per
 * image, see composer-images.ts), each image request's repositories replacing the distribution's, the Koji build reserved first (and given back when the compose
 * cannot be created), and the request kept as sent for GET /composes/{id}/metadata, as composer keeps it.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { prepareCompose, queueManifestJob } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { storeComposesWithinQuota } from '../../layers/src/service/quota.ts';
import { ensureStorageRoom } from '../../layers/src/service/storage.ts';
import { acceptComposerRequests } from './composer-request.ts';
import { checkPayloadRepositories, readImageRepositories } from './composer-repositories.ts';
import { readKojiRequest, refundKojiBuildQuietly, reserveKojiBuild, saveKojiState } from './koji/koji-builds.ts';
import { resolveKojiAuth } from './koji/koji-auth.ts';
import { mapUsers } from '../../layers/src/blueprint/password-intake.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The users of a customizations object (`users`) or of a composer blueprint's (`user`) without their passwords. */
const withoutPasswords = (customizations: unknown, key: 'users' | 'user'): unknown => mapUsers(customizations, ({ password: _password, ...user }) => user, key);

/**
 * The request as GET /composes/{id}/metadata gives it back: as sent, but user passwords are never stored or echoed
 * (composer keeps and echoes them as sent; the hosted API here never echoes them either).
 */
export function storedComposerRequest(body: Obj): Obj {
  const stored: Obj = { ...body };
  if (stored.customizations !== undefined) stored.customizations = withoutPasswords(stored.customizations, 'users');
  if (isObj(stored.blueprint) && stored.blueprint.customizations !== undefined) {
    stored.blueprint = { ...stored.blueprint, customizations: withoutPasswords(stored.blueprint.customizations, 'user') };
  }
  return stored;
}

/**
 * Checks, stores and queues a v2 compose: one compose per image request, admitted together within the quota (all or
 * none), the first one the v2 compose listing them all. A `koji` block reserves its one build on the hub before
 * anything is stored.
 */
export async function acceptComposerCompose(deps: ServiceDeps, orgId: string, body: unknown): Promise<Compose> {
  const requests = acceptComposerRequests(body);
  const sent = body as Obj;
  checkPayloadRepositories(sent.customizations);
  const repositories = requests.map((_, index) => readImageRepositories(deps.config, sent, index));
  const kojiRequest = sent.koji === undefined ? undefined : readKojiRequest(sent.koji);
  await ensureStorageRoom(deps);
  const koji = kojiRequest ? await reserveKojiBuild(kojiRequest, resolveKojiAuth()) : undefined;
  try {
    const composes: Compose[] = [];
    for (const [index, request] of requests.entries()) {
      const prepared = await prepareCompose(deps, orgId, request);
      const own = repositories[index];
      composes.push({ ...prepared, spec: { ...prepared.spec, ...(own ? { repositories: own } : {}) } });
    }
    const [first] = composes as [Compose, ...Compose[]];
    const ids = composes.map((c) => c.id);
    const images = composes.map((c, index) =>
      index === 0 ? { ...c, composerRequest: storedComposerRequest(sent), ...(ids.length > 1 ? { composerImages: ids } : {}) } : { ...c, composerParent: first.id },
    );
    await storeComposesWithinQuota(deps, images);
    for (const image of images) await queueManifestJob(deps, image);
    if (koji) await saveKojiState(deps, images[0]!, koji);
    return images[0]!;
  } catch (error) {
    if (koji) await refundKojiBuildQuietly(deps, koji);
    throw error;
  }
}
