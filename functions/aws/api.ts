/**
 * Lambda entry: the compose API (every route but the depsolver's, see api-routes.ts) in one function: one warm pool for
 * status polls and new composes alike; API Gateway attaches the JWT authorizer per route (none on the public ones).
 */
import { createDynamoDbBlueprintStore, createDynamoDbComposeStore, createDynamoDbRateLimiter } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { createSqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { gatewayClaimsAuthenticator } from '../api/auth.ts';
import { createApiHandler } from '../api/http.ts';
import { COMPOSE_API_ROUTES } from './api-routes.ts';
import { readAuthClaimNames } from './config.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({
  store: createDynamoDbComposeStore,
  blueprints: createDynamoDbBlueprintStore,
  blobs: createS3BlobStore,
  queue: createSqsJobQueue,
  rateLimiter: createDynamoDbRateLimiter,
});
export const handler = createApiHandler(deps, COMPOSE_API_ROUTES, { authenticate: gatewayClaimsAuthenticator(readAuthClaimNames(process.env)) });
