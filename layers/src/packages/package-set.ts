/** Name, epoch, version, release and architecture: what identifies an RPM, shared by every package shape. */
export interface PackageNevra {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
}

/** A package chosen by the depsolver, with everything osbuild needs to fetch and verify it. */
export interface ResolvedPackage extends PackageNevra {
  /** `<algo>:<hex>` as in the repository metadata (osbuild source key). */
  checksum: string;
  /** Absolute URL of the RPM. */
  remoteLocation: string;
  /** Id of the repository it came from. */
  repoId: string;
  /** Repository had gpgcheck on (rpm stage verifies the signature). */
  checkGpg?: boolean;
  /** Repository had sslverify off: osbuild's curl source downloads it with `insecure` (upstream's IgnoreSSL). */
  ignoreSsl?: boolean;
  summary?: string;
  license?: string;
  sourceRpm?: string;
}

/** A repository to resolve from (and, when configured, to write into the image). */
export interface RepositoryConfig {
  id: string;
  name?: string;
  baseurl?: string[];
  metalink?: string;
  mirrorlist?: string;
  gpgkeys?: string[];
  checkGpg?: boolean;
  checkRepoGpg?: boolean;
  priority?: number;
  /** dnf's repository cost (default 1000): among equal versions, the cheaper repository wins. */
  cost?: number;
  /** Only use for these package sets (e.g. ["build"]). Empty = all. */
  packageSets?: string[];
  sslverify?: boolean;
}

/** One package set to resolve: what osbuild/images calls a PackageSet chain element. */
export interface PackageSetRequest {
  include: string[];
  exclude: string[];
  repositories: RepositoryConfig[];
  installWeakDeps: boolean;
}

/** A package found by search: the newest of each matching name. */
export interface PackageSearchResult extends PackageNevra {
  summary: string;
  repoId: string;
}

/** A package search over repository indexes (name substring, or a glob). */
export interface PackageSearchQuery {
  repositories: RepositoryConfig[];
  architecture: string;
  releasever: string;
  search: string;
  limit?: number;
  offset?: number;
}

/** The depsolver port used by manifest generation. Sets are resolved independently (build root, os, ...). */
export interface Depsolver {
  resolve(
    request: { architecture: string; releasever: string; sets: Record<string, PackageSetRequest> },
  ): Promise<Record<string, ResolvedPackage[]>>;
  /**
   * The armored keys behind the GPG key URLs of these repositories (http(s), file://), by URL, as
   * osbuild-depsolve-dnf's read_keys returns them for the rpm stage; only repositories with checkGpg need them.
   */
  fetchGpgKeys?(request: { architecture: string; releasever: string; repositories: RepositoryConfig[] }): Promise<Record<string, string>>;
  /** Package search over the same repository indexes. */
  searchPackages(query: PackageSearchQuery): Promise<{ total: number; packages: PackageSearchResult[] }>;
  /** The repositories' comps groups (merged by id) with their package names: what package recommendations read. */
  packageGroups?(query: Omit<PackageSearchQuery, 'search' | 'limit' | 'offset'>): Promise<PackageGroup[]>;
}

export interface PackageGroup {
  id: string;
  name: string;
  packages: string[];
}

export const nevra = (p: PackageNevra): string =>
  `${p.name}-${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;
