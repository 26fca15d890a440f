import { createHash } from 'node:crypto';
import type { ResolvedPackage, RepositoryConfig } from '../packages/package-set.ts';
import { findArchitecture, findDistribution } from '../distro/registry.ts';
import { computeManifestIds } from '../manifest/ids.ts';
import { NotConfiguredError } from '../errors.ts';
import type { ServiceDeps } from './deps.ts';
import { checkComposeRepositories, checkDepsolveRepositories } from './repository-policy.ts';
import { type AcceptedComposeRequest, resolveImageRequest } from './compose-service.ts';
import { generateManifest, manifestRequestOf } from './generate-compose-manifest.ts';

/** The depsolver, or an error that says why package operations are unavailable. */
function depsolverOf(deps: ServiceDeps) {
  if (!deps.depsolver) throw new NotConfiguredError('no depsolver is configured in this deployment');
  return deps.depsolver;
}

export async function searchPackages(
  deps: ServiceDeps,
  query: { distribution: string; architecture: string; search: string; limit: number; offset: number },
) {
  const distro = findDistribution(query.distribution);
  const arch = findArchitecture(distro, query.architecture);
  return depsolverOf(deps).searchPackages({
    repositories: [...arch.repositories],
    architecture: arch.name,
    releasever: distro.releasever,
    search: query.search,
    limit: query.limit,
    offset: query.offset,
  });
}

export interface DepsolveRequest {
  distribution: string;
  architecture: string;
  /** Package names, globs and `@group`s. */
  packages: string[];
  exclude?: string[];
  /** Replace the distribution's default repositories. */
  repositories?: RepositoryConfig[];
  install_weak_deps?: boolean;
}

/** A package list resolved without building (POST /depsolve, `ibs depsolve`). */
export async function depsolvePackages(deps: ServiceDeps, request: DepsolveRequest): Promise<ResolvedPackage[]> {
  const distro = findDistribution(request.distribution);
  const arch = findArchitecture(distro, request.architecture);
  checkDepsolveRepositories(deps.config, request.repositories);
  const repositories = request.repositories?.length ? request.repositories : [...arch.repositories];
  const resolved = await depsolverOf(deps).resolve({
    architecture: arch.name,
    releasever: distro.releasever,
    sets: { packages: { include: request.packages, exclude: request.exclude ?? [], repositories, installWeakDeps: request.install_weak_deps ?? true } },
  });
  return resolved.packages ?? [];
}

/**
 * The manifest a compose request would build, without building (POST /manifest). The seed comes from the request's
 * bytes, so previewing the same request twice gives the same manifest.
 */
export async function previewManifest(deps: ServiceDeps, request: AcceptedComposeRequest) {
  const spec = resolveImageRequest(request);
  checkComposeRepositories(deps.config, request);
  const seed = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 32);
  const manifestRequest = manifestRequestOf({ spec, request: request as unknown as Record<string, unknown>, seed });
  const { generated, packages } = await generateManifest(deps, manifestRequest);
  const ids = computeManifestIds(generated.manifest);
  return { generated, packages, ids };
}
