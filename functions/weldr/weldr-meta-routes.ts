/**
 * Weldr's status, distributions, compose types, projects and modules (osbuild-composer internal/weldr/api.go): the
 * distribution registry and the depsolver's repository index, as the hosted API sees them.
 */
import { SERVICE_VERSION } from '../../layers/src/version.ts';
import { listDistributions, findArchitecture, findDistribution } from '../../layers/src/distro/registry.ts';
import type { Distribution } from '../../layers/src/distro/distribution.ts';
import type { PackageSearchResult, ResolvedPackage } from '../../layers/src/packages/package-set.ts';
import { depsolvePackages } from '../../layers/src/service/package-service.ts';
import { NotConfiguredError } from '../../layers/src/errors.ts';
import { readOffsetAndLimit, WeldrError } from './weldr-errors.ts';
import { jsonReply, type WeldrContext, type WeldrHandler, type WeldrReply, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';
import { presentDepsolved } from './weldr-blueprint-routes.ts';
import { weldrTypeNames } from './weldr-composes.ts';
import { withSourceRepositories } from './weldr-sources.ts';
import { detailsSourceOf, fetchPackageList, offersArchitecture, packageEntries, type PackageEntry } from './weldr-projects.ts';

type Obj = Record<string, unknown>;

/** `GET /api/status`, field for field. */
export const weldrStatus: WeldrHandler = async () =>
  jsonReply({ api: '1', db_supported: true, db_version: '0', schema_version: '0', backend: 'osbuild-composer', build: SERVICE_VERSION, msgs: [] });

/** Distributions that have the architecture (composer: that have repositories for it), sorted. */
const validDistros = (arch: string): string[] =>
  listDistributions()
    .filter((d) => offersArchitecture(d, arch))
    .map((d) => d.name)
    .sort();

const archOf = (ctx: WeldrContext, request: WeldrRequest): string => request.query.get('arch') || ctx.hostArch;

/** composer's parseDistro: `?distro=` must be valid for the architecture; absent, the default distribution. */
function distroOf(ctx: WeldrContext, request: WeldrRequest, arch: string): Distribution {
  const name = request.query.get('distro') || ctx.defaultDistro;
  if (request.query.get('distro') && !validDistros(arch).includes(name)) throw new WeldrError(400, 'DistroError', `Invalid distro: ${name}`);
  try {
    return findDistribution(name);
  } catch (error) {
    throw new WeldrError(400, 'DistroError', `Unknown distribution: ${name}`, { cause: error });
  }
}

/** Packages of the distribution's repositories matching the names (globs allowed), or every package. */
async function searchNames(ctx: WeldrContext, request: WeldrRequest, names: string[], errorId: string): Promise<PackageSearchResult[]> {
  const arch = archOf(ctx, request);
  const distro = distroOf(ctx, request, arch);
  if (!ctx.deps.depsolver) throw new NotConfiguredError('no depsolver is configured');
  const architecture = findArchitecture(distro, arch);
  const search = async (term: string) =>
    (await ctx.deps.depsolver!.searchPackages({ repositories: [...architecture.repositories], architecture: arch, releasever: distro.releasever, search: term, limit: 100_000 }))
      .packages;
  try {
    const found = names.length === 0 ? await search('*') : (await Promise.all(names.map(search))).flat();
    const exact = names.length === 0 ? found : found.filter((p) => names.some((n) => n.includes('*') || n.includes('?') || n === p.name));
    const byName = new Map(exact.map((p) => [p.name, p]));
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw new WeldrError(400, errorId, `msg: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Without a package-details source: composer's PackageInfo from the depsolver's search (one build, the newest; name,
 * EVRA and summary only). The info routes set the licence from a depsolve of the package.
 */
function presentProject(p: PackageSearchResult): Obj {
  return {
    name: p.name,
    summary: p.summary,
    description: p.summary,
    homepage: '',
    upstream_vcs: 'UPSTREAM_VCS',
    builds: [
      {
        arch: p.arch,
        build_time: '',
        epoch: p.epoch ?? 0,
        release: p.release,
        source: { license: '', version: p.version, source_ref: 'SOURCE_REF', metadata: {} },
        changelog: 'CHANGELOG_NEEDED',
        build_config_ref: 'BUILD_CONFIG_REF',
        build_env_ref: 'BUILD_ENV_REF',
        metadata: {},
      },
    ],
  };
}

const namesOfRest = (rest: string): string[] => (rest === '' ? [] : rest.split(',').map(decodeURIComponent));

function page<T>(items: T[], request: WeldrRequest) {
  const { offset, limit } = readOffsetAndLimit(request.query);
  const start = Math.min(offset, items.length);
  return { total: items.length, offset, limit, items: items.slice(start, start + Math.min(limit, items.length - start)) };
}

/** composer's PackageInfo entries of the names (all packages when none): from the details source when there is one. */
async function packageInfoEntries(ctx: WeldrContext, request: WeldrRequest, names: string[], errorId: string): Promise<PackageEntry[]> {
  const details = detailsSourceOf(ctx);
  if (!details) return (await searchNames(ctx, request, names, errorId)).map((p) => ({ name: p.name, present: () => presentProject(p) }));
  const arch = archOf(ctx, request);
  return packageEntries(await fetchPackageList(ctx, details, distroOf(ctx, request, arch), arch, names, errorId));
}

const packageInfos = async (ctx: WeldrContext, request: WeldrRequest, names: string[], errorId: string): Promise<Obj[]> =>
  (await packageInfoEntries(ctx, request, names, errorId)).map((e) => e.present());

async function projectsInfo(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>, modules: boolean): Promise<WeldrReply> {
  const [errorId, unknownId] = modules ? ['ModulesError', 'UnknownModule'] : ['ProjectsError', 'UnknownProject'];
  const names = namesOfRest(params.names);
  if (names.length === 0) throw new WeldrError(400, unknownId, 'No packages specified.');
  const infos = await packageInfos(ctx, request, names, errorId);
  if (infos.length === 0) throw new WeldrError(400, unknownId, 'No packages have been found.');
  const arch = archOf(ctx, request);
  const distro = distroOf(ctx, request, arch);
  // composer's projects/info does not depsolve; without a details source the licence comes from a depsolve.
  if (!modules && detailsSourceOf(ctx)) return jsonReply({ projects: infos });
  const repositories = await withSourceRepositories(ctx, distro.name, arch);
  for (const info of infos) {
    const name = info.name as string;
    let resolved: ResolvedPackage[] = [];
    try {
      resolved = await depsolvePackages(ctx.deps, { distribution: distro.name, architecture: arch, packages: [name], ...repositories });
    } catch (error) {
      // composer's projects/info does not depsolve: a package that cannot be installed still has its info.
      if (modules) throw new WeldrError(400, errorId, `Cannot depsolve package ${name}: ${(error as Error).message}`, { cause: error });
    }
    if (!detailsSourceOf(ctx)) withLicense(info, resolved.find((r) => r.name === name)?.license ?? '');
    if (modules) info.dependencies = resolved.map(presentDepsolved);
  }
  return jsonReply(modules ? { modules: infos } : { projects: infos });
}

/** Sets the licence of every build (the fallback path, where the search gives none). */
function withLicense(info: Obj, license: string): void {
  for (const build of info.builds as { source: Obj }[]) build.source.license = license;
}

export const WELDR_META_ROUTES: readonly WeldrRoute[] = [
  {
    method: 'GET',
    pattern: '/distros/list',
    minVersion: 1,
    errorId: 'DistroError',
    handler: async (ctx, request) => jsonReply({ distros: validDistros(archOf(ctx, request)) }),
  },
  {
    method: 'GET',
    pattern: '/compose/types',
    errorId: 'DistroError',
    handler: async (ctx, request) => {
      const arch = archOf(ctx, request);
      const distro = distroOf(ctx, request, arch);
      const found = distro.architectures.find((a) => a.name === arch);
      // composer's getDistro: a distribution without the architecture (or its repositories) is unknown.
      if (!found || !offersArchitecture(distro, arch)) throw new WeldrError(400, 'DistroError', `Unknown distribution: ${distro.name}`);
      const names = [...new Set(found.imageTypes.flatMap(weldrTypeNames))].sort();
      return jsonReply({ types: names.map((name) => ({ name, enabled: true })) });
    },
  },
  // composer registers both `projects/list` and `projects/list/`.
  ...['/projects/list', '/projects/list/'].map(
    (pattern): WeldrRoute => ({
      method: 'GET',
      pattern,
      errorId: 'ProjectsError',
      handler: async (ctx, request) => {
        // only the page is presented (composer-cli asks for `limit=0` first: the total alone)
        const { items, ...rest } = page(await packageInfoEntries(ctx, request, [], 'ProjectsError'), request);
        return jsonReply({ ...rest, projects: items.map((e) => e.present()) });
      },
    }),
  ),
  {
    method: 'GET',
    pattern: '/modules/list/*names',
    errorId: 'ModulesError',
    handler: async (ctx, request, params) => {
      const found = await packageInfoEntries(ctx, request, namesOfRest(params.names), 'ModulesError');
      if (found.length === 0) throw new WeldrError(400, 'UnknownModule', 'No packages have been found.');
      const { items, ...rest } = page(
        found.map((p) => ({ name: p.name, group_type: 'rpm' })),
        request,
      );
      return jsonReply({ ...rest, modules: items });
    },
  },
  { method: 'GET', pattern: '/projects/info/*names', errorId: 'ProjectsError', handler: (ctx, request, params) => projectsInfo(ctx, request, params, false) },
  { method: 'GET', pattern: '/modules/info/*names', errorId: 'ModulesError', handler: (ctx, request, params) => projectsInfo(ctx, request, params, true) },
  {
    method: 'GET',
    pattern: '/projects/depsolve/*names',
    errorId: 'ProjectsError',
    handler: async (ctx, request, params) => {
      const names = namesOfRest(params.names);
      if (names.length === 0) throw new WeldrError(400, 'UnknownProject', 'No packages specified.');
      const arch = archOf(ctx, request);
      const distro = distroOf(ctx, request, arch);
      if (!offersArchitecture(distro, arch)) throw new WeldrError(400, 'DistroError', `Unknown distribution: ${distro.name}`);
      try {
        const resolved = await depsolvePackages(ctx.deps, { distribution: distro.name, architecture: arch, packages: names, ...(await withSourceRepositories(ctx, distro.name, arch)) });
        return jsonReply({ projects: resolved.map(presentDepsolved) });
      } catch (error) {
        throw new WeldrError(400, 'ProjectsError', `BadRequest: ${(error as Error).message}`, { cause: error });
      }
    },
  },
];
