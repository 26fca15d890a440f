/**
 * The cloud API v2 `Repository` objects read as osbuild-composer's genRepoConfig reads them: `baseurl`, else
 * `mirrorlist`, else `metalink` (none of them: id 7), `check_gpg` without a `gpgkey`: id 29. An image request's
 * `repositories` replace the distribution's own for the depsolve and the manifest, each scoped by its `package_sets`
 * (composer: an empty list keeps the distribution's); payload repositories get the same checks here and are then
 * resolved by the hosted use case (os package set only), as composer gives them the image type's payload sets.
 */
import type { RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import type { ServiceConfig } from '../../layers/src/service/deps.ts';
import { checkDepsolveRepositories } from '../../layers/src/service/repository-policy.ts';
import { ComposerError, ComposerErrorCode as Code } from './composer-errors.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of composer's `Repository` schema. */
const REPOSITORY_KEYS = ['rhsm', 'baseurl', 'mirrorlist', 'metalink', 'gpgkey', 'check_gpg', 'check_repo_gpg', 'ignore_ssl', 'module_hotfixes', 'package_sets'];

const refuse = (code: number, details: string): never => {
  throw new ComposerError(code, details);
};

function optional<T>(r: Obj, key: string, at: string, type: 'string' | 'boolean'): T | undefined {
  const value = r[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) refuse(Code.BodyDecodingError, `${at}.${key} must be a ${type}`);
  return value as T;
}

/** One `Repository` checked as genRepoConfig checks it; `id` names it for the depsolver (composer hashes the config). */
function readRepository(value: unknown, at: string, id: string): RepositoryConfig {
  if (!isObj(value)) return refuse(Code.BodyDecodingError, `${at} must be an object`);
  const extra = Object.keys(value).filter((k) => !REPOSITORY_KEYS.includes(k));
  if (extra.length > 0) refuse(Code.BodyDecodingError, `${at}: unknown field ${extra.map((k) => `"${k}"`).join(', ')} (allowed: ${REPOSITORY_KEYS.join(', ')})`);
  const baseurl = optional<string>(value, 'baseurl', at, 'string');
  const mirrorlist = optional<string>(value, 'mirrorlist', at, 'string');
  const metalink = optional<string>(value, 'metalink', at, 'string');
  const gpgkey = optional<string>(value, 'gpgkey', at, 'string');
  const checkGpg = optional<boolean>(value, 'check_gpg', at, 'boolean');
  const checkRepoGpg = optional<boolean>(value, 'check_repo_gpg', at, 'boolean');
  const ignoreSsl = optional<boolean>(value, 'ignore_ssl', at, 'boolean');
  optional<boolean>(value, 'module_hotfixes', at, 'boolean');
  // rhsm: the host's entitlement certificates authenticate the downloads upstream; there are none here.
  if (optional<boolean>(value, 'rhsm', at, 'boolean')) refuse(Code.ValidationFailed, `${at}.rhsm: Red Hat subscription (RHSM) repositories are not available in this service; use rhsm: false`);
  const sets = value.package_sets;
  if (sets !== undefined && (!Array.isArray(sets) || sets.some((s) => typeof s !== 'string'))) refuse(Code.BodyDecodingError, `${at}.package_sets must be a list of package set names`);
  // composer's precedence: the first of baseurl, mirrorlist, metalink that is given is the one used.
  const source = baseurl ? { baseurl: [baseurl] } : mirrorlist !== undefined ? { mirrorlist } : metalink !== undefined ? { metalink } : undefined;
  if (!source) return refuse(Code.InvalidRepository, `${at}: give baseurl, mirrorlist or metalink`);
  if (checkGpg && !gpgkey) refuse(Code.NoGPGKey, `${at}: check_gpg is set but no gpgkey is given`);
  return {
    id,
    ...source,
    gpgkeys: gpgkey ? [gpgkey] : [],
    checkGpg: checkGpg ?? false,
    ...(checkRepoGpg !== undefined ? { checkRepoGpg } : {}),
    ...(ignoreSsl !== undefined ? { sslverify: !ignoreSsl } : {}),
    ...(Array.isArray(sets) && sets.length > 0 ? { packageSets: sets as string[] } : {}),
  };
}

/** Image request `index` of a v2 ComposeRequest that acceptComposerRequests has checked (`image_request` or `image_requests[index]`). */
function imageRequestOf(body: Obj, index: number): { image: Obj; at: string } {
  if (isObj(body.image_request)) return { image: body.image_request, at: 'image_request' };
  return { image: (body.image_requests as Obj[])[index]!, at: `image_requests[${index}]` };
}

/**
 * The repositories that replace the distribution's for this compose, or undefined when the image request gives none
 * (composer then uses the distribution's). URLs the deployment may not fetch (file:// outside local mode) are refused.
 */
export function readImageRepositories(config: Pick<ServiceConfig, 'fileRepositories'>, body: Obj, index = 0): RepositoryConfig[] | undefined {
  const { image, at } = imageRequestOf(body, index);
  const list = image.repositories;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) return refuse(Code.BodyDecodingError, `${at}.repositories must be a list of repositories`);
  const repositories = list.map((r, i) => readRepository(r, `${at}.repositories[${i}]`, `image-repository-${i}`));
  // Only the URL each one uses (composer's precedence) must be one the deployment may fetch.
  checkDepsolveRepositories(config, repositories.map((r) => ({ baseurl: r.baseurl?.[0], mirrorlist: r.mirrorlist, metalink: r.metalink })), `${at}.repositories`);
  return repositories.length > 0 ? repositories : undefined;
}

/** `customizations.payload_repositories` with composer's ids for what genRepoConfig refuses (7, 29), before the hosted checks. */
export function checkPayloadRepositories(customizations: unknown): void {
  if (!isObj(customizations) || !Array.isArray(customizations.payload_repositories)) return;
  customizations.payload_repositories.forEach((r, i) => {
    const at = `customizations.payload_repositories[${i}]`;
    if (!isObj(r)) return;
    const given = (key: string) => typeof r[key] === 'string' && r[key] !== '';
    if (!given('baseurl') && !given('mirrorlist') && !given('metalink')) refuse(Code.InvalidRepository, `${at}: give baseurl, mirrorlist or metalink`);
    if (r.check_gpg === true && !given('gpgkey')) refuse(Code.NoGPGKey, `${at}: check_gpg is set but no gpgkey is given`);
  });
}
