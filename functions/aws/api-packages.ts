/**
 * Lambda entry: the depsolver's API routes (package search, depsolve, manifest preview), see api-package-routes.ts. Only the
 * bucket (repository index cache): these routes never touch composes or queues, and its role has no such permissions.
 */
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { gatewayClaimsAuthenticator } from '../api/auth.ts';
import { createApiHandler } from '../api/http.ts';
import { createComposerHandler, serveHostedAndComposer } from '../composer-v2/composer-handler.ts';
import { COMPOSER_PACKAGE_API_ROUTES, PACKAGE_API_ROUTES } from './api-package-routes.ts';
import { readAuthClaimNames, readDepsolverOptions } from './config.ts';
import { createLambdaDeps } from './deps.ts';
import { listDistributionRepositories } from './repo-refresh-handler.ts';

const deps = createLambdaDeps({ blobs: createS3BlobStore });
// Repository indexes: built by the refresher into the bucket, kept in memory across warm invocations; user repositories
// only from public addresses, their indexes under depsolve-index/user/.
const depsolver = new RepoDepsolver({ blobStore: deps.blobs, ...readDepsolverOptions(process.env), distributionRepositories: listDistributionRepositories() });
const authenticate = gatewayClaimsAuthenticator(readAuthClaimNames(process.env));
// The cloud API v2's depsolver routes too (POST /depsolve/blueprint, /search/packages).
export const handler = serveHostedAndComposer(
  createApiHandler({ ...deps, depsolver }, PACKAGE_API_ROUTES, { authenticate }),
  createComposerHandler({ ...deps, depsolver }, { authenticate, routes: COMPOSER_PACKAGE_API_ROUTES }),
);
