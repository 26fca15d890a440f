/**
 * The routes of the `apiPackages` function (package search, depsolve, manifest preview, package recommendations, and
 * the cloud API v2's depsolve and search), read from their own route modules only: the function's bundle then carries
 * the depsolver but nothing the compose routes need (no compose table, no queue, no EC2 client for AMI clones).
 * api-routes.ts derives the `api` function's tables as everything else.
 */
import type { Route } from '../api/http.ts';
import { EXPERIMENTAL_ROUTES } from '../api/experimental-routes.ts';
import { PACKAGE_ROUTES } from '../api/package-routes.ts';
import { COMPOSER_PACKAGE_ROUTES } from '../composer-v2/composer-package-routes.ts';

/** The hosted operations that run the depsolver. */
const PACKAGE_OPERATIONS: readonly string[] = ['searchPackages', 'depsolve', 'previewManifest', 'recommendPackage'];
export const isPackageRoute = (route: Pick<Route, 'operationId'>): boolean => PACKAGE_OPERATIONS.includes(route.operationId);

/** The cloud API v2's depsolver operations (with the hosted ones on apiPackages; the rest on api). */
const COMPOSER_PACKAGE_OPERATIONS: readonly string[] = ['postDepsolveBlueprint', 'postSearchPackages'];
export const isComposerPackageRoute = (route: Pick<Route, 'operationId'>): boolean => COMPOSER_PACKAGE_OPERATIONS.includes(route.operationId);

/** The same route objects as in functions/api/routes.ts (DEPLOYED_PATHS is keyed by them). */
export const PACKAGE_API_ROUTES: readonly Route[] = [...PACKAGE_ROUTES, ...EXPERIMENTAL_ROUTES].filter(isPackageRoute);
export const COMPOSER_PACKAGE_API_ROUTES: readonly Route[] = COMPOSER_PACKAGE_ROUTES.filter(isComposerPackageRoute);
