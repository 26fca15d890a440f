import { ROUTES } from '../api/routes.ts';
import type { Route } from '../api/http.ts';
import { deployedRoutePaths } from './route-paths.ts';
import { COMPOSER_ROUTES } from '../composer-v2/composer-routes.ts';

/**
 * The HTTP API is served by two functions. `apiPackages` takes the routes that run the depsolver (package search,
 * depsolve, manifest preview, package recommendations): they need repository indexes in memory (GiBs, seconds of CPU), outbound access to
 * package repositories and only the index cache in S3. `api` takes everything else: small, fast to start, and the only
 * one allowed to touch the compose table and the manifest queue. Splitting keeps the compose API's cold start and
 * memory small and each role minimal; within each function every route shares one warm pool.
 */
export const PACKAGE_OPERATIONS: readonly string[] = ['searchPackages', 'depsolve', 'previewManifest', 'recommendPackage'];

export const isPackageRoute = (route: Pick<Route, 'operationId'>): boolean => PACKAGE_OPERATIONS.includes(route.operationId);

/** The cloud API v2's depsolver routes (with the hosted ones on apiPackages; the rest on api). */
export const COMPOSER_PACKAGE_OPERATIONS: readonly string[] = ['postDepsolveBlueprint', 'postSearchPackages'];
export const isComposerPackageRoute = (route: Pick<Route, 'operationId'>): boolean => COMPOSER_PACKAGE_OPERATIONS.includes(route.operationId);
export const COMPOSER_COMPOSE_ROUTES: readonly Route[] = COMPOSER_ROUTES.filter((r) => !isComposerPackageRoute(r));
export const COMPOSER_PACKAGE_API_ROUTES: readonly Route[] = COMPOSER_ROUTES.filter(isComposerPackageRoute);
/** The cloud API v2 routes' deployed paths (under their own base: no variable conflicts with the hosted ones). */
export const COMPOSER_DEPLOYED_PATHS: ReadonlyMap<Route, string> = new Map(
  deployedRoutePaths(COMPOSER_ROUTES.map((r) => r.path)).map((path, i) => [COMPOSER_ROUTES[i], path]),
);

export const COMPOSE_API_ROUTES: readonly Route[] = ROUTES.filter((r) => !isPackageRoute(r));
export const PACKAGE_API_ROUTES: readonly Route[] = ROUTES.filter(isPackageRoute);

/** Each route's path as deployed on the one HTTP API both functions share (variable names made conflict-free). */
export const DEPLOYED_PATHS: ReadonlyMap<Route, string> = new Map(
  deployedRoutePaths(ROUTES.map((r) => r.path)).map((path, i) => [ROUTES[i], path]),
);
