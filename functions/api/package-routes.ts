/** Routes that run the depsolver: package search, depsolve, manifest preview (their own function on AWS). */
import { presentPackage } from '../../layers/src/api/present-package.ts';
import { validateSchema } from '../../layers/src/api/validate.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import type { AcceptedComposeRequest } from '../../layers/src/service/compose-service.ts';
import { type DepsolveRequest, depsolvePackages, previewManifest, searchPackages } from '../../layers/src/service/package-service.ts';
import { API_BASE, type Route } from './http.ts';
import { integerParam } from './params.ts';
import { repositoryFromApi } from './repositories.ts';
import { ok, requiredQuery } from './replies.ts';

export const PACKAGE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/packages',
    operationId: 'searchPackages',
    handle: async ({ deps, query }) => {
      const limit = integerParam(query, 'limit', 100, 1, 1000);
      const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const search = requiredQuery(query, 'search');
      const distribution = requiredQuery(query, 'distribution');
      const architecture = requiredQuery(query, 'architecture');
      const found = await searchPackages(deps, { distribution, architecture, search, limit, offset });
      const base = `${API_BASE}/packages?distribution=${encodeURIComponent(distribution)}&architecture=${encodeURIComponent(architecture)}&search=${encodeURIComponent(search)}`;
      return ok({
        meta: { count: found.total },
        links: { first: `${base}&offset=0&limit=${limit}`, last: `${base}&offset=${Math.max(0, Math.floor((found.total - 1) / limit) * limit)}&limit=${limit}` },
        data: found.packages.map((p) => ({ name: p.name, summary: p.summary, version: p.version, release: p.release, epoch: p.epoch, arch: p.arch, repository: p.repoId })),
      });
    },
  },
  {
    method: 'POST',
    path: '/depsolve',
    operationId: 'depsolve',
    handle: async ({ deps, body }) => {
      const request = validateSchema<Omit<DepsolveRequest, 'repositories'> & { repositories?: unknown[] }>('DepsolveRequest', body ?? {});
      const packages = await depsolvePackages(deps, {
        ...request,
        repositories: request.repositories?.map((r, i) => repositoryFromApi(r, `repositories[${i}]`)),
      });
      return ok({ packages: packages.map(presentPackage) });
    },
  },
  {
    method: 'POST',
    path: '/manifest',
    operationId: 'previewManifest',
    handle: async ({ deps, body }) => {
      if (body === undefined) throw new ValidationError('(body)', 'a ComposeRequest JSON body is required');
      const preview = await previewManifest(deps, validateSchema<AcceptedComposeRequest>('ComposeRequest', body));
      return ok({
        manifest: preview.generated.manifest,
        packages: Object.fromEntries(Object.entries(preview.packages).map(([set, list]) => [set, list.map(presentPackage)])),
        exports: preview.generated.exports,
        filename: preview.generated.filename,
        pipelines: preview.ids.pipelines.map((p) => ({ name: p.name, id: p.id })),
      });
    },
  },
];
