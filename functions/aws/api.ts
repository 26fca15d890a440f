/**
 * Lambda entry: the whole HTTP API (all routes of functions/api/routes.ts) in one function. One function keeps one warm
 * pool for every route (a status poll warms the function that takes the next POST /compose) and every route needs the
 * same three stores; API Gateway still attaches the JWT authorizer per route (none on the public ones).
 */
import { createApiHandler } from '../api/http.ts';
import { ROUTES } from '../api/routes.ts';
import { awsServiceDeps } from './deps.ts';

export const handler = createApiHandler(awsServiceDeps(), ROUTES, { orgFromHeader: false });
