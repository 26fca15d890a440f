// serverless.yml: `events: ${file(./functions/aws/http-events.cjs):api}` — the HTTP API events of each API function,
// generated from the route table (functions/api/routes.ts via functions/aws/api-routes.ts), so every route is deployed,
// on the function that serves it, with the JWT authorizer unless the route is public. CommonJS because osls require()s it.
const { pathToFileURL } = require('node:url');

module.exports = async () => {
  const { tsImport } = await import('tsx/esm/api');
  const parent = pathToFileURL(__filename).href;
  const { API_BASES } = await tsImport('../api/http.ts', parent);
  const { COMPOSE_API_ROUTES, PACKAGE_API_ROUTES, DEPLOYED_PATHS } = await tsImport('./api-routes.ts', parent);
  const eventsOf = (routes) =>
    routes.flatMap((route) =>
      API_BASES.map((base) => ({
        httpApi: { method: route.method, path: `${base}${DEPLOYED_PATHS.get(route)}`, ...(route.public ? {} : { authorizer: { name: 'jwt' } }) },
      })),
    );
  return { api: eventsOf(COMPOSE_API_ROUTES), apiPackages: eventsOf(PACKAGE_API_ROUTES) };
};
