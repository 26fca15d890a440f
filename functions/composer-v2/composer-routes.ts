/**
 * The cloud API v2 route table (osbuild-composer's /api/image-builder-composer/v2) over the hosted API's use cases:
 * the same compose service, stores, queues and runners, the organization from the token.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { getCompose, readManifests, readSboms } from '../../layers/src/service/compose-service.ts';
import { NotFoundError } from '../../layers/src/errors.ts';
import type { Reply, RequestContext, Route } from '../api/http.ts';
import { uuidParam } from '../api/params.ts';
import { ok } from '../api/replies.ts';
import { readWholeLog } from './compose-log.ts';
import { objectReference, presentImageStatus } from './composer-present.ts';
import { aggregateStatusValueOf, deleteComposerCompose, readComposerImages } from './composer-images.ts';
import { acceptComposerCompose } from './composer-compose.ts';
import { listComposerStatuses, presentComposeStatusOf, presentComposerMetadata } from './composer-status.ts';
import { COMPOSER_ERROR_ROUTES } from './composer-error-routes.ts';
import { COMPOSER_PACKAGE_ROUTES } from './composer-package-routes.ts';
import { COMPOSER_DISTRIBUTION_ROUTES } from './composer-distribution-routes.ts';
import { composerOpenApiDocument } from './composer-openapi.ts';
import { readKojiState } from './koji/koji-builds.ts';
import { presentCloneStatus, readClone, refreshClone, startClone } from './ami-clones.ts';

/** A v2 compose of the caller's organization; the other images of a several-image compose are not composes of their own. */
async function composeOf(ctx: RequestContext): Promise<Compose> {
  const id = uuidParam(ctx.params, 'id');
  const compose = await getCompose(ctx.deps, ctx.orgId, id);
  if (compose.composerParent) throw new NotFoundError(`compose ${id} not found`);
  return compose;
}

/** A GET on one compose of the caller's organization (another organization's is a 404, code 15). */
const composeRoute = (path: string, operationId: string, respond: (compose: Compose, ctx: RequestContext) => Promise<Reply>): Route => ({
  method: 'GET',
  path,
  operationId,
  handle: async (ctx) => respond(await composeOf(ctx), ctx),
});

const COMPOSE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/compose',
    operationId: 'postCompose',
    handle: async ({ deps, orgId, body }) => {
      const compose = await acceptComposerCompose(deps, orgId, body);
      return { status: 201, body: objectReference(`/composes/${compose.id}`, compose.id, 'ComposeId') };
    },
  },
  {
    method: 'GET',
    path: '/composes',
    operationId: 'getComposeList',
    handle: async ({ deps, orgId }) => ok(await listComposerStatuses(deps, orgId)),
  },
  composeRoute('/composes/{id}', 'getComposeStatus', async (compose, { deps }) => ok(await presentComposeStatusOf(deps, compose))),
  {
    method: 'DELETE',
    path: '/composes/{id}',
    operationId: 'deleteCompose',
    handle: async (ctx) => {
      const compose = await composeOf(ctx);
      await deleteComposerCompose(ctx.deps, compose);
      return ok(objectReference(`/composes/delete/${compose.id}`, compose.id, 'ComposeDeleteStatus'));
    },
  },
  composeRoute('/composes/{id}/metadata', 'getComposeMetadata', async (compose, { deps }) => ok(await presentComposerMetadata(deps, compose))),
  composeRoute('/composes/{id}/logs', 'getComposeLogs', async (compose, { deps }) => {
    const builds = [];
    for (const image of await readComposerImages(deps, compose)) {
      const log = await readWholeLog(deps, image);
      builds.push({ log: log.text, complete: log.complete, status: presentImageStatus(image, undefined).status });
    }
    const koji = await readKojiState(deps, compose);
    const kojiLogs = koji && { init: { build_id: koji.buildId }, import: { build_id: koji.buildId, state: koji.state, ...(koji.reason ? { reason: koji.reason } : {}) } };
    return ok({ ...objectReference(`/composes/${compose.id}/logs`, compose.id, 'ComposeLogs'), image_builds: builds, ...(kojiLogs ? { koji: kojiLogs } : {}) });
  }),
  composeRoute('/composes/{id}/manifests', 'getComposeManifests', async (compose, { deps }) => {
    const manifests = [];
    for (const image of await readComposerImages(deps, compose)) manifests.push(...(await readManifests(deps, image)));
    return ok({ ...objectReference(`/composes/${compose.id}/manifests`, compose.id, 'ComposeManifests'), manifests });
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
    // One item per image once every image has succeeded, in request order.
    const images = await readComposerImages(deps, compose);
    const items = [];
    if (aggregateStatusValueOf(images) === 'success') for (const image of images) items.push(await readSboms(deps, image));
    return ok({ ...objectReference(`/composes/${compose.id}/sboms`, compose.id, 'ComposeSBOMs'), items });
  }),
];

const META_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/openapi', operationId: 'getOpenapi', handle: async () => ok(composerOpenApiDocument(COMPOSER_ROUTES)) },
];

export const COMPOSER_ROUTES: readonly Route[] = [...META_ROUTES, ...COMPOSER_DISTRIBUTION_ROUTES, ...COMPOSE_ROUTES, ...COMPOSER_PACKAGE_ROUTES, ...COMPOSER_ERROR_ROUTES];
