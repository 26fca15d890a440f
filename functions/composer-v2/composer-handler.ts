/** The cloud API v2 Lambda/local handler: the hosted API's router and middleware under composer's base and errors. */
import type { Authenticator } from '../api/auth.ts';
import { createApiHandler } from '../api/http.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { COMPOSER_API_BASE, presentComposerError } from './composer-errors.ts';
import type { Route } from '../api/http.ts';

/**
 * `routes`: COMPOSER_ROUTES (composer-routes.ts) or a function's share of them; passed in, so a function serving only
 * the package routes does not bundle the compose routes (and their EC2 client for AMI clones).
 */
export function createComposerHandler(deps: ServiceDeps, options: { authenticate: Authenticator; routes: readonly Route[] }) {
  return createApiHandler(deps, options.routes, {
    authenticate: options.authenticate,
    bases: [COMPOSER_API_BASE],
    presentError: presentComposerError,
  });
}

/** Whether a request path belongs to this API (the local gateway serves both APIs from one port). */
export const isComposerPath = (path: string): boolean => path === COMPOSER_API_BASE || path.startsWith(`${COMPOSER_API_BASE}/`);

type ApiHandler = ReturnType<typeof createApiHandler>;

/** One handler for both APIs (one Lambda function or one local port): the path says which answers. */
export const serveHostedAndComposer = (hosted: ApiHandler, composer: ApiHandler) => (event: Parameters<ApiHandler>[0], context: Parameters<ApiHandler>[1]) =>
  (isComposerPath(event.rawPath) ? composer : hosted)(event, context);
