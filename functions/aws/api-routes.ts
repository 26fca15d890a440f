import { ROUTES } from '../api/routes.ts';
import type { Route } from '../api/http.ts';
import { deployedRoutePaths } from './route-paths.ts';
import { COMPOSER_ROUTES } from '../composer-v2/composer-routes.ts';
import { COMPOSER_PACKAGE_API_ROUTES, isComposerPackageRoute, isPackageRoute, PACKAGE_API_ROUTES } from './api-package-routes.ts';

/**
 * The HTTP API is served by two functions. `apiPackages` takes the routes that run the depsolver (package search,
 * depsolve, manifest preview, package recommendations): they need repository indexes in memory (GiBs, seconds of CPU), outbound access to
 * package repositories and only the index cache in S3. `api` takes everything else: small, fast to start, and the only
 * one allowed to touch the compose table and the manifest queue. Splitting keeps the compose API's cold start and
 * memory small and each role minimal; within each function every route shares one warm pool. The package function's
 * tables live in api-package-routes.ts, which imports only the package route modules (its bundle stays small); this
 * module, imported by the `api` function and the deployment (http-events.cjs), has the whole tables.
 */
export { COMPOSER_PACKAGE_API_ROUTES, isComposerPackageRoute, isPackageRoute, PACKAGE_API_ROUTES } from './api-package-routes.ts';

export const COMPOSER_COMPOSE_ROUTES: readonly Route[] = COMPOSER_ROUTES.filter((r) => !isComposerPackageRoute(r));
/** The cloud API v2 routes' deployed paths (under their own base: no variable conflicts with the hosted ones). */
export const COMPOSER_DEPLOYED_PATHS: ReadonlyMap<Route, string> = new Map(
  deployedRoutePaths(COMPOSER_ROUTES.map((r) => r.path)).map((path, i) => [COMPOSER_ROUTES[i], path]),
);

export const COMPOSE_API_ROUTES: readonly Route[] = ROUTES.filter((r) => !isPackageRoute(r));

/** Each route's path as deployed on the one HTTP API both functions share (variable names made conflict-free). */
export const DEPLOYED_PATHS: ReadonlyMap<Route, string> = new Map(
  deployedRoutePaths(ROUTES.map((r) => r.path)).map((path, i) => [ROUTES[i], path]),
);

/**
 * The routes of the whole tables the package function's own tables miss or serve twice: empty when the two functions
 * together serve every route exactly once (checked by test/aws/bundles.test.ts and the template test).
 */
export function misplacedRoutes(): string[] {
  const problems: string[] = [];
  const check = (all: readonly Route[], packages: readonly Route[], isPackage: (r: Route) => boolean, api: string) => {
    for (const route of all) if (isPackage(route) !== packages.includes(route)) problems.push(`${api} ${route.operationId}`);
    for (const route of packages) if (!all.includes(route)) problems.push(`${api} ${route.operationId} (not in the whole table)`);
  };
  check(ROUTES, PACKAGE_API_ROUTES, isPackageRoute, 'hosted');
  check(COMPOSER_ROUTES, COMPOSER_PACKAGE_API_ROUTES, isComposerPackageRoute, 'composer');
  return problems;
}
