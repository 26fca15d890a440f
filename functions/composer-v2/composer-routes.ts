/**
 * The cloud API v2 route table (osbuild-composer's /api/image-builder-composer/v2) over the hosted API's use cases:
 * the same compose service, stores, queues and runners, the organization from the token.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { createCompose, deleteCompose, getCompose, readManifests, readPackageSets, readSboms } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { ensureStorageRoom } from '../../layers/src/service/storage.ts';
import type { Reply, RequestContext, Route } from '../api/http.ts';
import { uuidParam } from '../api/params.ts';
import { ok } from '../api/replies.ts';
import { readWholeLog } from './compose-log.ts';
import { acceptComposerRequest } from './composer-request.ts';
import { objectReference, presentComposerStatus, presentPackageMetadata } from './composer-present.ts';
import { COMPOSER_ERROR_ROUTES } from './composer-error-routes.ts';
import { COMPOSER_PACKAGE_ROUTES } from './composer-package-routes.ts';
import { COMPOSER_DISTRIBUTION_ROUTES } from './composer-distribution-routes.ts';
import { composerOpenApiDocument } from './composer-openapi.ts';
import { kojiAuthFromEnv, readKojiRequest, readKojiState, reserveKojiBuild, saveKojiState, type KojiState } from './koji/koji-builds.ts';
import { KOJI_BUILD_STATE, KojiSession } from './koji/koji-session.ts';
import { presentCloneStatus, readClone, refreshClone, startClone } from './ami-clones.ts';

/** The presigned link of a successful compose's image. */
async function imageUrl(deps: ServiceDeps, compose: Compose): Promise<string | undefined> {
  const artifact = compose.artifacts[0];
  if (compose.state !== 'success' || !artifact) return undefined;
  const integrity = { size: artifact.size, sha256: artifact.sha256 };
  return deps.blobs.downloadUrl(artifact.key, { expiresIn: deps.config.downloadUrlTtlSeconds, filename: artifact.name, integrity });
}

const composeOf = (ctx: RequestContext) => getCompose(ctx.deps, ctx.orgId, uuidParam(ctx.params, 'id'));

/** A GET on one compose of the caller's organization (another organization's is a 404, code 15). */
const composeRoute = (path: string, operationId: string, respond: (compose: Compose, ctx: RequestContext) => Promise<Reply>): Route => ({
  method: 'GET',
  path,
  operationId,
  handle: async (ctx) => respond(await composeOf(ctx), ctx),
});

/** The compose status with its Koji build: `koji_status.build_id`; a failed import or a refund is the compose's failure. */
function withKojiStatus(status: ReturnType<typeof presentComposerStatus>, koji: KojiState | undefined) {
  if (!koji) return status;
  const failed = koji.state === 'failed' || koji.state === 'refunded';
  const pending = koji.state === 'reserved' && status.status === 'success';
  return { ...status, status: failed ? ('failure' as const) : pending ? ('pending' as const) : status.status, koji_status: { build_id: koji.buildId } };
}

async function refundQuietly(deps: ServiceDeps, koji: KojiState): Promise<void> {
  try {
    await (await KojiSession.open(koji.request.server, kojiAuthFromEnv())).refundBuild(koji.buildId, koji.token, KOJI_BUILD_STATE.canceled);
  } catch (error) {
    deps.log.warn('koji refund failed', { buildId: koji.buildId, error });
  }
}

const COMPOSE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/compose',
    operationId: 'postCompose',
    handle: async ({ deps, orgId, body }) => {
      const request = acceptComposerRequest(body);
      const kojiRequest = (body as Record<string, unknown>).koji === undefined ? undefined : readKojiRequest((body as Record<string, unknown>).koji);
      await ensureStorageRoom(deps);
      // A Koji build is reserved before the compose exists, and given back if the compose cannot be created.
      const koji = kojiRequest ? await reserveKojiBuild(kojiRequest, kojiAuthFromEnv()) : undefined;
      try {
        const compose = await createCompose(deps, orgId, request);
        if (koji) await saveKojiState(deps, compose, koji);
        return { status: 201, body: objectReference(`/composes/${compose.id}`, compose.id, 'ComposeId') };
      } catch (error) {
        if (koji) await refundQuietly(deps, koji);
        throw error;
      }
    },
  },
  {
    method: 'GET',
    path: '/composes',
    operationId: 'getComposeList',
    handle: async ({ deps, orgId }) => {
      const items: unknown[] = [];
      let total = 0;
      for (let offset = 0; ; offset += 100) {
        const page = await deps.store.list(orgId, { limit: 100, offset });
        total = page.total;
        for (const compose of page.items) items.push(presentComposerStatus(compose, await imageUrl(deps, compose)));
        if (page.items.length < 100 || offset + 100 >= total) break;
      }
      return ok({ kind: 'ComposeList', page: 0, size: items.length, total: items.length, items });
    },
  },
  composeRoute('/composes/{id}', 'getComposeStatus', async (compose, { deps }) => {
    // Only reports: the import runs on the compose's state change (settleKojiBuildOf), never in this request.
    const koji = await readKojiState(deps, compose);
    return ok(withKojiStatus(presentComposerStatus(compose, await imageUrl(deps, compose)), koji));
  }),
  {
    method: 'DELETE',
    path: '/composes/{id}',
    operationId: 'deleteCompose',
    handle: async ({ deps, orgId, params }) => {
      const id = uuidParam(params, 'id');
      await deleteCompose(deps, orgId, id);
      return ok(objectReference(`/composes/delete/${id}`, id, 'ComposeDeleteStatus'));
    },
  },
  composeRoute('/composes/{id}/metadata', 'getComposeMetadata', async (compose, { deps }) => {
    const reference = objectReference(`/composes/${compose.id}/metadata`, compose.id, 'ComposeMetadata');
    if (compose.state !== 'success') return ok(reference);
    const sets = await readPackageSets(deps, compose);
    // The image's packages: the os set when the image type has one (the build root is not in the image).
    const packages = sets.os ?? Object.values(sets).flat();
    return ok({ ...reference, packages: packages.map(presentPackageMetadata) });
  }),
  composeRoute('/composes/{id}/logs', 'getComposeLogs', async (compose, { deps }) => {
    const log = await readWholeLog(deps, compose);
    const build = { log: log.text, complete: log.complete, status: presentComposerStatus(compose, undefined).image_status.status };
    const koji = await readKojiState(deps, compose);
    const kojiLogs = koji && { init: { build_id: koji.buildId }, import: { build_id: koji.buildId, state: koji.state, ...(koji.reason ? { reason: koji.reason } : {}) } };
    return ok({ ...objectReference(`/composes/${compose.id}/logs`, compose.id, 'ComposeLogs'), image_builds: [build], ...(kojiLogs ? { koji: kojiLogs } : {}) });
  }),
  composeRoute('/composes/{id}/manifests', 'getComposeManifests', async (compose, { deps }) => {
    return ok({ ...objectReference(`/composes/${compose.id}/manifests`, compose.id, 'ComposeManifests'), manifests: await readManifests(deps, compose) });
  }),
  {
    method: 'POST',
    path: '/composes/{id}/clone',
    operationId: 'postCloneCompose',
    handle: async (ctx) => {
      const clone = await startClone(ctx.deps, await composeOf(ctx), ctx.body);
      return { status: 201, body: objectReference(`/clones/${clone.id}`, clone.id, 'CloneComposeId') };
    },
  },
  {
    method: 'GET',
    path: '/clones/{id}',
    operationId: 'getCloneStatus',
    handle: async ({ deps, orgId, params }) => ok(presentCloneStatus(await refreshClone(deps, await readClone(deps, orgId, uuidParam(params, 'id'))))),
  },
  composeRoute('/composes/{id}/sboms', 'getComposeSBOMs', async (compose, { deps }) => {
    const items = compose.state === 'success' ? [await readSboms(deps, compose)] : [];
    return ok({ ...objectReference(`/composes/${compose.id}/sboms`, compose.id, 'ComposeSBOMs'), items });
  }),
];

const META_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/openapi', operationId: 'getOpenapi', handle: async () => ok(composerOpenApiDocument(COMPOSER_ROUTES)) },
];

export const COMPOSER_ROUTES: readonly Route[] = [...META_ROUTES, ...COMPOSER_DISTRIBUTION_ROUTES, ...COMPOSE_ROUTES, ...COMPOSER_PACKAGE_ROUTES, ...COMPOSER_ERROR_ROUTES];
