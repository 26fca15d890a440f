// serverless.yml: `events: ${file(./functions/aws/http-events.cjs):api}` — the HTTP API events of each API function,
// generated from the route table (functions/api/routes.ts via functions/aws/api-routes.ts), so every route is deployed,
// on the function that serves it, with the JWT authorizer unless the route is public. CommonJS because osls require()s it.
const { pathToFileURL } = require('node:url');

module.exports = async () => {
  const { tsImport } = await import('tsx/esm/api');
  const parent = pathToFileURL(__filename).href;
  const { API_BASES } = await tsImport('../api/http.ts', parent);
  const { COMPOSE_API_ROUTES, PACKAGE_API_ROUTES, DEPLOYED_PATHS, COMPOSER_COMPOSE_ROUTES, COMPOSER_PACKAGE_API_ROUTES, COMPOSER_DEPLOYED_PATHS } =
    await tsImport('./api-routes.ts', parent);
  const { COMPOSER_API_BASE } = await tsImport('../composer-v2/composer-errors.ts', parent);
  const eventsOf = (routes, bases = API_BASES, paths = DEPLOYED_PATHS) =>
    routes.flatMap((route) =>
      bases.map((base) => ({
        httpApi: { method: route.method, path: `${base}${paths.get(route)}`, ...(route.public ? {} : { authorizer: { name: 'jwt' } }) },
      })),
    );
  // The cloud API v2 (functions/composer-v2) on the same two functions, under its own base.
  const composerEventsOf = (routes) => eventsOf(routes, [COMPOSER_API_BASE], COMPOSER_DEPLOYED_PATHS);
  return {
    api: [...eventsOf(COMPOSE_API_ROUTES), ...composerEventsOf(COMPOSER_COMPOSE_ROUTES)],
    apiPackages: [...eventsOf(PACKAGE_API_ROUTES), ...composerEventsOf(COMPOSER_PACKAGE_API_ROUTES)],
  };
};
