/**
 * The cloud API v2 route table (osbuild-composer's /api/image-builder-composer/v2) over the hosted API's use cases:
 * the same compose service, stores, queues and runners, the organization from the token.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { deleteCompose, getCompose, readManifests, readSboms } from '../../layers/src/service/compose-service.ts';
import type { Reply, RequestContext, Route } from '../api/http.ts';
import { uuidParam } from '../api/params.ts';
import { ok } from '../api/replies.ts';
import { readWholeLog } from './compose-log.ts';
import { objectReference, presentComposerStatus } from './composer-present.ts';
import { acceptComposerCompose } from './composer-compose.ts';
import { listComposerStatuses, presentComposeStatusOf, presentComposerMetadata } from './composer-status.ts';
import { COMPOSER_ERROR_ROUTES } from './composer-error-routes.ts';
import { COMPOSER_PACKAGE_ROUTES } from './composer-package-routes.ts';
import { COMPOSER_DISTRIBUTION_ROUTES } from './composer-distribution-routes.ts';
import { composerOpenApiDocument } from './composer-openapi.ts';
import { readKojiState } from './koji/koji-builds.ts';
import { presentCloneStatus, readClone, refreshClone, startClone } from './ami-clones.ts';

const composeOf = (ctx: RequestContext) => getCompose(ctx.deps, ctx.orgId, uuidParam(ctx.params, 'id'));

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
    handle: async ({ deps, orgId, params }) => {
      const id = uuidParam(params, 'id');
      await deleteCompose(deps, orgId, id);
      return ok(objectReference(`/composes/delete/${id}`, id, 'ComposeDeleteStatus'));
    },
  },
  composeRoute('/composes/{id}/metadata', 'getComposeMetadata', async (compose, { deps }) => ok(await presentComposerMetadata(deps, compose))),
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
