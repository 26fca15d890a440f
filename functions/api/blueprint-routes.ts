/** The hosted API's blueprint routes: create, list, read, update, delete, export, compose, and their composes. */
import type { StoredBlueprint } from '../../layers/src/ports/blueprint-store.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { presentComposeRequest } from '../../layers/src/api/present-compose.ts';
import {
  composeBlueprint,
  presentBlueprintBody,
  createBlueprint,
  deleteBlueprint,
  exportBlueprint,
  getBlueprint,
  listBlueprints,
  updateBlueprint,
} from '../../layers/src/service/blueprint-service.ts';
import { omitComposerSource } from '../../layers/src/blueprint/composer-blueprint-export.ts';
import { exportComposerBlueprint, importBlueprintFile } from '../../layers/src/service/blueprint-import-service.ts';
import type { RequestContext, Route } from './http.ts';
import { uuidParam } from './params.ts';
import { listReply, ok, pagingOf } from './replies.ts';
import { composeListLink, composeListQueryOf, filteredComposePage } from './compose-filters.ts';

const blueprintId = (ctx: RequestContext): string => uuidParam(ctx.params, 'id');

const presentBlueprint = (b: StoredBlueprint) => ({
  id: b.id,
  name: b.name,
  description: b.description,
  ...presentComposeRequest(presentBlueprintBody(omitComposerSource(b.body))),
  lint: { errors: [], warnings: [] },
});

/** `?version=` of GET /blueprints/{id}: a whole number, or -1 for the current one. */
function versionParam(query: Record<string, string>): number | undefined {
  const raw = query.version;
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw) || (Number(raw) < 1 && Number(raw) !== -1)) throw new ValidationError('version', `"${raw}" is not a version (1, 2, ... or -1 for the latest)`);
  return Number(raw);
}

export const BLUEPRINT_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/blueprints',
    operationId: 'createBlueprint',
    handle: async ({ deps, orgId, body }) => ({ status: 201, body: { id: (await createBlueprint(deps, orgId, body)).id } }),
  },
  {
    method: 'GET',
    path: '/blueprints',
    operationId: 'getBlueprints',
    handle: async ({ deps, orgId, query }) => {
      const { limit, offset } = pagingOf(query);
      const filters = { ...(query.name ? { name: query.name } : {}), ...(query.search ? { search: query.search } : {}) };
      const page = await listBlueprints(deps, orgId, { limit, offset, ...filters });
      const kept = Object.entries(filters).map(([k, v]) => `&${k}=${encodeURIComponent(v)}`).join('');
      return listReply(
        '/blueprints',
        { total: page.total, limit, filters: kept },
        page.items.map((b) => ({ id: b.id, name: b.name, description: b.description, version: b.version, last_modified_at: b.updatedAt })),
      );
    },
  },
  {
    method: 'GET',
    path: '/blueprints/{id}',
    operationId: 'getBlueprint',
    handle: async (ctx) => ok(presentBlueprint(await getBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx), versionParam(ctx.query)))),
  },
  {
    method: 'PUT',
    path: '/blueprints/{id}',
    operationId: 'updateBlueprint',
    handle: async (ctx) => ok({ id: (await updateBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx), ctx.body)).id }),
  },
  {
    method: 'DELETE',
    path: '/blueprints/{id}',
    operationId: 'deleteBlueprint',
    handle: async (ctx) => {
      await deleteBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx));
      return { status: 204, body: undefined };
    },
  },
  {
    method: 'GET',
    path: '/blueprints/{id}/export',
    operationId: 'exportBlueprint',
    handle: async (ctx) => {
      // Extension: ?format=composer answers the blueprint in composer's shape (JSON and TOML text) instead of the hosted one.
      const format = ctx.query.format ?? 'hosted';
      if (format === 'composer') return ok(await exportComposerBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx), versionParam(ctx.query)));
      if (format !== 'hosted') throw new ValidationError('format', `"${format}" is not an export format (hosted or composer)`);
      return ok(await exportBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx)));
    },
  },
  {
    method: 'POST',
    path: '/blueprints/import',
    operationId: 'importBlueprint',
    handle: async ({ deps, orgId, body }) => {
      const { blueprint, created, format, warnings } = await importBlueprintFile(deps, orgId, body);
      return { status: created ? 201 : 200, body: { id: blueprint.id, version: blueprint.version, created, format, warnings } };
    },
  },
  {
    method: 'POST',
    path: '/blueprints/{id}/compose',
    operationId: 'composeBlueprint',
    handle: async (ctx) => {
      const imageTypes = (ctx.body as { image_types?: unknown } | undefined)?.image_types;
      if (imageTypes !== undefined && (!Array.isArray(imageTypes) || imageTypes.some((t) => typeof t !== 'string'))) {
        throw new ValidationError('image_types', 'must be a list of image type names');
      }
      const composes = await composeBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx), imageTypes as string[] | undefined);
      return { status: 201, body: composes.map((c) => ({ id: c.id })) };
    },
  },
  {
    method: 'GET',
    path: '/blueprints/{id}/composes',
    operationId: 'getBlueprintComposes',
    handle: async (ctx) => {
      const blueprint = await getBlueprint(ctx.deps, ctx.orgId, blueprintId(ctx));
      const { limit, offset } = pagingOf(ctx.query);
      const wanted = ctx.query.blueprint_version === undefined ? undefined : Number(ctx.query.blueprint_version);
      if (wanted !== undefined && !(Number.isInteger(wanted) && (wanted >= 1 || wanted === -1))) {
        throw new ValidationError('blueprint_version', 'must be a version (1, 2, ...) or -1 for the latest');
      }
      const version = wanted === -1 ? blueprint.version : wanted;
      const filters = composeListQueryOf(ctx.query);
      // This blueprint's (version's) composes from the store's own index, paged there unless a filter needs them all.
      const page = await filteredComposePage(
        (paging) => ctx.deps.store.listByBlueprint(ctx.orgId, { blueprintId: blueprint.id, ...(version === undefined ? {} : { version }), ...paging }),
        { limit, offset },
        filters,
      );
      if (page.unreadable) ctx.deps.log.error('damaged compose records left out of a list page', { orgId: ctx.orgId, unreadable: page.unreadable });
      return listReply(
        `/blueprints/${blueprint.id}/composes`,
        { total: page.total, limit, filters: composeListLink(filters) },
        page.items.map((c) => ({
          id: c.id,
          request: presentComposeRequest(c.request),
          created_at: c.createdAt,
          ...(c.imageName ? { image_name: c.imageName } : {}),
          client_id: c.clientId ?? 'api',
          blueprint_id: c.blueprint!.id,
          blueprint_version: c.blueprint!.version,
        })),
      );
    },
  },
];
