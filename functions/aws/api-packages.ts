/** Lambda entry: the depsolver's API routes (package search, depsolve, manifest preview), see api-routes.ts. */
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { createApiHandler } from '../api/http.ts';
import { PACKAGE_API_ROUTES } from './api-routes.ts';
import { createAwsPackageDeps } from './deps.ts';

const deps = createAwsPackageDeps();
// Repository indexes: built by the refresher into the bucket, kept in memory across warm invocations.
export const handler = createApiHandler({ ...deps, depsolver: new RepoDepsolver({ blobStore: deps.blobs }) }, PACKAGE_API_ROUTES, {
  orgFromHeader: false,
});
