import { ValidationError } from '../../layers/src/errors.ts';
import type { RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import type { components } from '../../layers/src/api/generated/openapi-types.ts';

type ApiCustomRepository = components['schemas']['CustomRepository'];

/** A schema-validated API CustomRepository → the depsolver's RepositoryConfig. */
export function repositoryFromApi(value: unknown, field: string): RepositoryConfig {
  const r = value as ApiCustomRepository;
  if (!r.baseurl?.length && !r.mirrorlist && !r.metalink) {
    throw new ValidationError(field, 'one of baseurl, mirrorlist or metalink is required');
  }
  return {
    id: r.id,
    ...(r.name ? { name: r.name } : {}),
    ...(r.baseurl?.length ? { baseurl: r.baseurl } : {}),
    ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
    ...(r.metalink ? { metalink: r.metalink } : {}),
    gpgkeys: r.gpgkey ?? [],
    checkGpg: r.check_gpg ?? false,
    checkRepoGpg: r.check_repo_gpg ?? false,
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    ...(r.ssl_verify !== undefined ? { sslverify: r.ssl_verify } : {}),
  };
}
