/**
 * The cloud API v2 route table (osbuild-composer's /api/image-builder-composer/v2) over the hosted API's use cases:
 * the same compose service, stores, queues and runners, the organization from the token.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { createCompose, deleteCompose, getCompose, readComposeLogs, readManifests, readPackageSets, readSboms } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { ensureStorageRoom } from '../../layers/src/service/storage.ts';
import type { Reply, RequestContext, Route } from '../api/http.ts';
import { uuidParam } from '../api/params.ts';
import { ok } from '../api/replies.ts';
import { acceptComposerRequest } from './composer-request.ts';
import { objectReference, presentComposerStatus, presentPackageMetadata } from './composer-present.ts';
import { COMPOSER_ERROR_ROUTES } from './composer-error-routes.ts';
import { COMPOSER_PACKAGE_ROUTES } from './composer-package-routes.ts';
import { composerOpenApiDocument } from './composer-openapi.ts';

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

/** The whole build log, slice after slice. */
async function readWholeLog(deps: ServiceDeps, compose: Compose): Promise<{ text: string; complete: boolean }> {
  let text = '';
  let offset = 0;
  for (;;) {
    const slice = await readComposeLogs(deps, compose.orgId, compose.id, offset);
    text += slice.text;
    if (slice.nextOffset === offset) return { text, complete: slice.complete };
    offset = slice.nextOffset;
  }
}

const COMPOSE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/compose',
    operationId: 'postCompose',
    handle: async ({ deps, orgId, body }) => {
      const request = acceptComposerRequest(body);
      await ensureStorageRoom(deps);
      const compose = await createCompose(deps, orgId, request);
      return { status: 201, body: objectReference(`/composes/${compose.id}`, compose.id, 'ComposeId') };
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
  composeRoute('/composes/{id}', 'getComposeStatus', async (compose, { deps }) => ok(presentComposerStatus(compose, await imageUrl(deps, compose)))),
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
    return ok({ ...objectReference(`/composes/${compose.id}/logs`, compose.id, 'ComposeLogs'), image_builds: [build] });
  }),
  composeRoute('/composes/{id}/manifests', 'getComposeManifests', async (compose, { deps }) => {
    return ok({ ...objectReference(`/composes/${compose.id}/manifests`, compose.id, 'ComposeManifests'), manifests: await readManifests(deps, compose) });
  }),
  composeRoute('/composes/{id}/sboms', 'getComposeSBOMs', async (compose, { deps }) => {
    const items = compose.state === 'success' ? [await readSboms(deps, compose)] : [];
    return ok({ ...objectReference(`/composes/${compose.id}/sboms`, compose.id, 'ComposeSBOMs'), items });
  }),
];

const META_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/openapi', operationId: 'getOpenapi', handle: async () => ok(composerOpenApiDocument(COMPOSER_ROUTES)) },
];

export const COMPOSER_ROUTES: readonly Route[] = [...META_ROUTES, ...COMPOSE_ROUTES, ...COMPOSER_PACKAGE_ROUTES, ...COMPOSER_ERROR_ROUTES];
