/** Every route of the HTTP API, in one list (the AWS entries split it between two functions: see functions/aws/api-routes.ts). */
import type { Route } from './http.ts';
import { COMPOSE_ROUTES } from './compose-routes.ts';
import { META_ROUTES } from './meta-routes.ts';
import { PACKAGE_ROUTES } from './package-routes.ts';
import { BLUEPRINT_ROUTES } from './blueprint-routes.ts';
import { OSCAP_ROUTES } from './oscap-routes.ts';
import { EXPERIMENTAL_ROUTES } from './experimental-routes.ts';

export const ROUTES: readonly Route[] = [...META_ROUTES, ...COMPOSE_ROUTES, ...BLUEPRINT_ROUTES, ...PACKAGE_ROUTES, ...OSCAP_ROUTES, ...EXPERIMENTAL_ROUTES];
