/**
 * Which repository URLs a request may make this service fetch: http(s), and `file://` mirrors, which are read from
 * the service's own disk, so only where the deployment says so (local mode, `ServiceConfig.fileRepositories`);
 * elsewhere (AWS) the request is refused up front with a 400 naming the field instead of failing later in the
 * manifest worker.
 */
import { ValidationError } from '../errors.ts';
import type { ServiceConfig } from './deps.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every URL of the repositories the depsolver fetches: payload repositories of a ComposeRequest. */
function fetchedUrlsOfCompose(request: unknown): [field: string, url: string][] {
  const customizations = isObj(request) && isObj(request.customizations) ? request.customizations : {};
  const payload = Array.isArray(customizations.payload_repositories) ? customizations.payload_repositories : [];
  return payload.flatMap((r, i) => urlsOf(r, `customizations.payload_repositories[${i}]`));
}

/** The URLs of one API repository (`baseurl` a string or a list). */
function urlsOf(r: unknown, field: string): [string, string][] {
  if (!isObj(r)) return [];
  const out: [string, string][] = [];
  const base = r.baseurl;
  if (typeof base === 'string') out.push([`${field}.baseurl`, base]);
  if (Array.isArray(base)) base.forEach((u, j) => typeof u === 'string' && out.push([`${field}.baseurl[${j}]`, u]));
  for (const k of ['mirrorlist', 'metalink']) if (typeof r[k] === 'string') out.push([`${field}.${k}`, r[k] as string]);
  return out;
}

function refuseUnfetchableUrls(config: Pick<ServiceConfig, 'fileRepositories'>, urls: [string, string][]): void {
  const unfetchable = urls.find(([, url]) => !/^\s*(https?|file):\/\//i.test(url));
  if (unfetchable) throw new ValidationError(unfetchable[0], `"${unfetchable[1]}" cannot be fetched: repositories are read over http, https or (local mode) file URLs`);
  if (config.fileRepositories) return;
  const found = urls.find(([, url]) => /^\s*file:/i.test(url));
  if (found) {
    throw new ValidationError(found[0], `file:// repositories are read from the service's own disk and only allowed in local mode; serve "${found[1]}" over http(s)`);
  }
}

/** POST /compose, /manifest, a blueprint's compose: refuses file:// payload repositories where they are not allowed. */
export function checkComposeRepositories(config: Pick<ServiceConfig, 'fileRepositories'>, request: unknown): void {
  refuseUnfetchableUrls(config, fetchedUrlsOfCompose(request));
}

/** POST /depsolve: the same for its `repositories` (`at`: the field they are in, e.g. composer's `image_request.repositories`). */
export function checkDepsolveRepositories(config: Pick<ServiceConfig, 'fileRepositories'>, repositories: readonly unknown[] | undefined, at = 'repositories'): void {
  refuseUnfetchableUrls(config, (repositories ?? []).flatMap((r, i) => urlsOf(r, `${at}[${i}]`)));
}
