/**
 * httprouter's method handling, as composer's router has it (HandleMethodNotAllowed and HandleOPTIONS on): a path that
 * another method's route matches answers 405 with an `Allow` header, `OPTIONS` answers 200 with `Allow` and no body,
 * whatever the API version in the path (composer checks the version inside its handlers).
 */
import { matchPattern, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';

/** The `Allow` value for a path (httprouter's allowed()): every other method with a route, plus OPTIONS, sorted. */
export function allowedMethods(routes: readonly WeldrRoute[], request: Pick<WeldrRequest, 'path' | 'version'>, requested: string): string {
  const { path } = request;
  const methods = new Set<string>();
  if (request.version === -1) methods.add('GET');
  else for (const route of routes) if (route.method !== requested && matchPattern(route.pattern, path)) methods.add(route.method);
  methods.delete(requested);
  if (methods.size === 0) return '';
  return [...methods, 'OPTIONS'].sort().join(', ');
}
