/**
 * Lambda entry: the compose API (every route but the depsolver's, see api-routes.ts) in one function: one warm pool for
 * status polls and new composes alike; API Gateway attaches the JWT authorizer per route (none on the public ones).
 */
import { createApiHandler } from '../api/http.ts';
import { COMPOSE_API_ROUTES } from './api-routes.ts';
import { awsServiceDeps } from './deps.ts';

export const handler = createApiHandler(awsServiceDeps(), COMPOSE_API_ROUTES, { orgFromHeader: false });
