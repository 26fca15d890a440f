/**
 * Lambda entry: the compose API (every route but the depsolver's, see api-routes.ts) in one function: one warm pool for
 * status polls and new composes alike; API Gateway attaches the JWT authorizer per route (none on the public ones).
 */
import { createDynamoDbBlueprintStore, createDynamoDbComposeStore, createDynamoDbRateLimiter } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { createSqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { gatewayClaimsAuthenticator } from '../api/auth.ts';
import { createApiHandler } from '../api/http.ts';
import { createComposerHandler, serveHostedAndComposer } from '../composer-v2/composer-handler.ts';
import { COMPOSE_API_ROUTES, COMPOSER_COMPOSE_ROUTES } from './api-routes.ts';
import { readAuthClaimNames } from './config.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({
  store: createDynamoDbComposeStore,
  blueprints: createDynamoDbBlueprintStore,
  blobs: createS3BlobStore,
  queue: createSqsJobQueue,
  rateLimiter: createDynamoDbRateLimiter,
});
const authenticate = gatewayClaimsAuthenticator(readAuthClaimNames(process.env));
// The cloud API v2's compose routes too (their own base and error bodies, the same use cases).
export const handler = serveHostedAndComposer(
  createApiHandler(deps, COMPOSE_API_ROUTES, { authenticate }),
  createComposerHandler(deps, { authenticate, routes: COMPOSER_COMPOSE_ROUTES }),
);
