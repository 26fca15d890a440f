/**
 * composer's package listing for `projects/*` and `modules/*` from the package-details source: fetchPackageList
 * (osbuild-depsolve-dnf's dump and search over the system repositories and the user sources), sorted by N-V-R as
 * images' depsolvednf sorts it, and grouped into PackageInfo entries with one build per package, as
 * RPMMDPackageListToPackageInfos does.
 */
import type { Distribution } from '../../layers/src/distro/distribution.ts';
import { findArchitecture } from '../../layers/src/distro/registry.ts';
import { testDistro } from '../../layers/src/distro/test-distro.ts';
import type { PackageDetails, PackageDetailsSource } from '../../layers/src/packages/package-details.ts';
import { globToRegExp } from '../../layers/src/depsolve/glob.ts';
import { WeldrError } from './weldr-errors.ts';
import type { WeldrContext } from './weldr-router.ts';
import { sourceRepositories } from './weldr-sources.ts';

type Obj = Record<string, unknown>;

/**
 * composer's validDistros test (reporegistry DistroHasRepos): a distribution is offered on an architecture only when
 * it has system repositories for it — an IBS_REPOSITORIES_DIR file naming x86_64 only leaves aarch64 out. The test
 * distribution builds without repositories and is offered on each of its architectures.
 */
export function offersArchitecture(distro: Distribution, arch: string): boolean {
  const found = distro.architectures.find((a) => a.name === arch);
  return found !== undefined && (found.repositories.length > 0 || distro.name === testDistro.name);
}

/** The configured details source, if any (absent: the routes fall back to the depsolver's search). */
export const detailsSourceOf = (ctx: WeldrContext): PackageDetailsSource | undefined => ctx.deps.packageDetails;

/**
 * composer's fetchPackageList: every available package of the distribution's repositories and the user sources
 * (`names` empty), or those the names match; sorted by `name-version-release`. A failure is `<errorId>` `msg: ...`.
 */
export async function fetchPackageList(ctx: WeldrContext, source: PackageDetailsSource, distro: Distribution, arch: string, names: string[], errorId: string): Promise<PackageDetails[]> {
  // composer's getDistro (nil for a distribution without the architecture), as fetchPackageList reports it.
  if (!offersArchitecture(distro, arch)) throw new WeldrError(400, errorId, `msg: GetDistro - unknown distribution: ${distro.name}`);
  let all: PackageDetails[];
  try {
    const repositories = [...findArchitecture(distro, arch).repositories, ...(await sourceRepositories(ctx, distro.name))];
    all = await source.listPackages({ repositories, architecture: arch, releasever: distro.releasever });
  } catch (error) {
    throw new WeldrError(400, errorId, `msg: ${(error as Error).message}`, { cause: error });
  }
  return sortByNvr(names.length === 0 ? all : searchPackages(all, names));
}

/** Go's cmp.Compare on `name-version-release` strings (byte order); the architecture orders equal NVRs. */
function sortByNvr(packages: readonly PackageDetails[]): PackageDetails[] {
  const keyed = packages.map((p) => ({ key: `${p.name}-${p.version}-${p.release}`, p }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.p.arch < b.p.arch ? -1 : a.p.arch > b.p.arch ? 1 : 0));
  return keyed.map((k) => k.p);
}

/**
 * osbuild-depsolve-dnf's search, term by term: a term with `*` is an fnmatch glob, or a substring when it starts and
 * ends with `*`; any other term matches the name exactly. Each term's matches are appended (a package two terms match
 * appears twice, as in composer).
 */
export function searchPackages(all: readonly PackageDetails[], names: string[]): PackageDetails[] {
  const out: PackageDetails[] = [];
  for (const term of names) {
    let matches: (name: string) => boolean;
    if (!term.includes('*')) matches = (name) => name === term;
    else if (term.startsWith('*') && term.endsWith('*')) {
      const part = term.replaceAll('*', '');
      matches = (name) => name.includes(part);
    } else {
      const re = globToRegExp(term);
      matches = (name) => re.test(name);
    }
    for (const p of all) if (matches(p.name)) out.push(p);
  }
  return out;
}

/** Go's `time.Format("2006-01-02T15:04:05")` of the build time in UTC (no build time: Go's zero time). */
export const formatBuildTime = (seconds: number): string => (seconds > 0 ? new Date(seconds * 1000).toISOString().slice(0, 19) : '0001-01-01T00:00:00');

/** composer's PackageBuild. */
const presentBuild = (p: PackageDetails): Obj => ({
  arch: p.arch,
  build_time: formatBuildTime(p.buildTime),
  epoch: p.epoch,
  release: p.release,
  source: { license: p.license, version: p.version, source_ref: 'SOURCE_REF', metadata: {} },
  changelog: 'CHANGELOG_NEEDED',
  build_config_ref: 'BUILD_CONFIG_REF',
  build_env_ref: 'BUILD_ENV_REF',
  metadata: {},
});

/** One PackageInfo to be: its name, and the entry presented on demand (a page presents only its own). */
export interface PackageEntry {
  name: string;
  present(): Obj;
}

/** composer's PackageInfo list: one entry per name in first-seen order, one build per package (the first's texts). */
export function packageEntries(packages: readonly PackageDetails[]): PackageEntry[] {
  const byName = new Map<string, PackageDetails[]>();
  for (const p of packages) {
    const seen = byName.get(p.name);
    if (seen) seen.push(p);
    else byName.set(p.name, [p]);
  }
  return [...byName].map(([name, builds]) => ({
    name,
    present: () => ({ name, summary: builds[0].summary, description: builds[0].description, homepage: builds[0].url, upstream_vcs: 'UPSTREAM_VCS', builds: builds.map(presentBuild) }),
  }));
}

