/**
 * GET /openapi: an OpenAPI document of what this service serves of the cloud API v2 (its operations by path and
 * method, the servers' base). The full upstream spec is not shipped; docs/composer-api.md says what is left out.
 */
import type { Route } from '../api/http.ts';
import { SERVICE_VERSION } from '../../layers/src/version.ts';
import { COMPOSER_API_BASE } from './composer-errors.ts';

export function composerOpenApiDocument(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    // composer's spec names the list `/composes/` (with its slash).
    const path = route.path === '/composes' ? '/composes/' : route.path;
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: { operationId: route.operationId, security: [{ Bearer: [] }], responses: {} } };
  }
  return {
    openapi: '3.0.1',
    info: { version: '2', title: 'OSBuild Composer cloud api', description: `image-builder-serverless ${SERVICE_VERSION}: the operations served` },
    servers: [{ url: COMPOSER_API_BASE }],
    paths,
    components: { securitySchemes: { Bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
}
