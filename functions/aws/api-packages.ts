/**
 * Lambda entry: the depsolver's API routes (package search, depsolve, manifest preview), see api-routes.ts. Only the
 * bucket (repository index cache): these routes never touch composes or queues, and its role has no such permissions.
 */
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { createApiHandler } from '../api/http.ts';
import { PACKAGE_API_ROUTES } from './api-routes.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({ blobs: createS3BlobStore });
// Repository indexes: built by the refresher into the bucket, kept in memory across warm invocations.
export const handler = createApiHandler({ ...deps, depsolver: new RepoDepsolver({ blobStore: deps.blobs }) }, PACKAGE_API_ROUTES, {
  orgFromHeader: false,
});
