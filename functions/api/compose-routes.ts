/** The compose routes: create, list, status, metadata, manifests, SBOMs, logs, cancel. */
import { composeListSince } from '../../layers/src/service/compose-list-window.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import { presentComposeListItem, presentComposeStatus } from '../../layers/src/api/present-compose.ts';
import { validateSchema } from '../../layers/src/api/validate.ts';
import {
  type AcceptedComposeRequest,
  cancelCompose,
  createCompose,
  deleteCompose,
  getCompose,
  readComposeLogs,
  readManifests,
  readPackageSets,
  readSboms,
} from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import type { Reply, RequestContext, Route } from './http.ts';
import { composeIdParam, integerParam } from './params.ts';
import { composeListLink, composeListQueryOf, filteredComposePage } from './compose-filters.ts';
import { listReply, ok, pagingOf } from './replies.ts';
import { ensureStorageRoom } from '../../layers/src/service/storage.ts';

/** Download URLs are only handed out for finished, successful composes. */
async function downloadUrls(deps: ServiceDeps, compose: Compose): Promise<Record<string, string>> {
  if (compose.state !== 'success') return {};
  const entries = await Promise.all(
    compose.artifacts.map(async (a) => {
      const options = { expiresIn: deps.config.downloadUrlTtlSeconds, filename: a.name, integrity: { size: a.size, sha256: a.sha256 } };
      return [a.name, await deps.blobs.downloadUrl(a.key, options)];
    }),
  );
  return Object.fromEntries(entries);
}

/** A GET on one compose of the caller's organization (404 for another organization's). */
const composeRoute = (path: string, operationId: string, respond: (compose: Compose, ctx: RequestContext) => Promise<Reply>): Route => ({
  method: 'GET',
  path,
  operationId,
  handle: async (ctx) => respond(await getCompose(ctx.deps, ctx.orgId, composeIdParam(ctx.params)), ctx),
});

export const COMPOSE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/compose',
    operationId: 'composeImage',
    handle: async ({ deps, orgId, body }) => {
      if (body === undefined) throw new ValidationError('(body)', 'a ComposeRequest JSON body is required');
      // The hosted API's image-mode composes: said plainly, not as an unknown field or a missing distribution.
      if (typeof body === 'object' && body !== null && 'bootc' in body) throw new ValidationError('bootc', 'bootc (image mode) composes are not supported by this service; give a distribution');
      const request = validateSchema<AcceptedComposeRequest>('ComposeRequest', body);
      await ensureStorageRoom(deps);
      const compose = await createCompose(deps, orgId, request);
      return { status: 201, body: { id: compose.id } };
    },
  },
  {
    method: 'GET',
    path: '/composes',
    operationId: 'getComposes',
    handle: async ({ deps, orgId, query }) => {
      const paging = pagingOf(query);
      const filters = composeListQueryOf(query);
      // As hosted, the list shows the last 14 days only; the store applies the status and distribution filters.
      const window = { createdSince: composeListSince(), states: filters.states, distribution: filters.distribution };
      const page = await filteredComposePage((p) => deps.store.list(orgId, { ...p, ...window }), paging, filters, { storeFilters: true });
      if (page.unreadable) deps.log.error('damaged compose records left out of a list page', { orgId, unreadable: page.unreadable });
      return listReply('/composes', { total: page.total, limit: paging.limit, filters: composeListLink(filters) }, page.items.map(presentComposeListItem));
    },
  },
  composeRoute('/composes/{composeId}', 'getComposeStatus', async (compose, { deps }) => {
    return ok(presentComposeStatus(compose, { urls: await downloadUrls(deps, compose) }));
  }),
  composeRoute('/composes/{composeId}/metadata', 'getComposeMetadata', async (compose, { deps }) => {
    const sets = await readPackageSets(deps, compose);
    // The image's packages: the os set when the image type has one (the build root is not in the image).
    const packages = sets.os ?? Object.values(sets).flat();
    return ok({
      packages: packages.map((p) => ({
        type: 'rpm',
        name: p.name,
        version: p.version,
        release: p.release,
        ...(p.epoch ? { epoch: String(p.epoch) } : {}),
        arch: p.arch,
        // The header MD5 is only known once the rpm stage ran; until then the package checksum identifies the file.
        sigmd5: p.checksum,
      })),
    });
  }),
  composeRoute('/composes/{composeId}/manifests', 'getComposeManifests', async (compose, { deps }) => {
    return ok({ manifests: await readManifests(deps, compose) });
  }),
  composeRoute('/composes/{composeId}/sboms', 'getComposeSboms', async (compose, { deps }) => {
    return ok({ id: compose.id, kind: 'ComposeSBOMs', items: [await readSboms(deps, compose)] });
  }),
  {
    method: 'GET',
    path: '/composes/{composeId}/logs',
    operationId: 'getComposeLogs',
    handle: async ({ deps, orgId, params, query }) => {
      const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const slice = await readComposeLogs(deps, orgId, composeIdParam(params), offset);
      return ok({ offset: slice.offset, next_offset: slice.nextOffset, complete: slice.complete, logs: slice.text });
    },
  },
  {
    method: 'DELETE',
    path: '/composes/{composeId}',
    operationId: 'deleteCompose',
    handle: async ({ deps, orgId, params }) => {
      await deleteCompose(deps, orgId, composeIdParam(params));
      return ok({});
    },
  },
  {
    method: 'POST',
    path: '/composes/{composeId}/cancel',
    operationId: 'cancelCompose',
    handle: async ({ deps, orgId, params }) => ok(presentComposeStatus(await cancelCompose(deps, orgId, composeIdParam(params)))),
  },
];
