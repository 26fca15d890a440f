/** The Depsolver port implementation: package sets resolved from repository indexes, dnf 4's way. */
import type { Depsolver, PackageGroup, PackageSearchQuery, PackageSearchResult, PackageSetRequest, RepositoryConfig, ResolvedPackage } from '../packages/package-set.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { basearchOf } from './arch.ts';
import { mergeComps } from './comps-spec.ts';
import { RichDepSyntaxError } from './dependency.ts';
import { DepsolveError } from './depsolve-error.ts';
import { globToRegExp } from './glob.ts';
import { fetchRepositoryGpgKeys } from './gpg-keys.ts';
import { IndexStore, type IndexStoreOptions, type LoadedRepository } from './index-store.ts';
import { solveSpecs } from './install-specs.ts';
import { NeedFilelists, Pool, type PoolRepo } from './pool.ts';
import type { FetchFn, Substitutions } from './repo-metadata.ts';
import { compareEvr } from './rpm-version.ts';

export { DepsolveError } from './depsolve-error.ts';

/** Without `store`, the index store's options (address guard, metadata caps, memory budget, user-index prefix). */
export interface RepoDepsolverOptions extends Omit<IndexStoreOptions, 'blobStore' | 'fetch'> {
  /** Shared index store (keeps indexes in memory across warm invocations). */
  store?: IndexStore;
  blobStore?: BlobStore;
  fetch?: FetchFn;
}

export interface ResolveSetOptions {
  architecture: string;
  releasever: string;
  /** Name of the package set, for RepositoryConfig.packageSets filtering. */
  setName?: string;
}


export class RepoDepsolver implements Depsolver {
  readonly store: IndexStore;

  constructor(opts: RepoDepsolverOptions = {}) {
    const { store, ...storeOptions } = opts;
    this.store = store ?? new IndexStore(storeOptions);
  }

  async resolve(request: {
    architecture: string;
    releasever: string;
    sets: Record<string, PackageSetRequest>;
  }): Promise<Record<string, ResolvedPackage[]>> {
    const out: Record<string, ResolvedPackage[]> = {};
    // Sets are independent (build root, os, ...), as osbuild/images resolves them.
    for (const [name, set] of Object.entries(request.sets)) {
      out[name] = await this.resolveSet(set, { architecture: request.architecture, releasever: request.releasever, setName: name });
    }
    return out;
  }

  async loadRepositories(repos: RepositoryConfig[], opts: ResolveSetOptions): Promise<LoadedRepository[]> {
    const subst: Substitutions = { arch: opts.architecture, basearch: basearchOf(opts.architecture), releasever: opts.releasever };
    const used = repos.filter((r) => !opts.setName || !r.packageSets?.length || r.packageSets.includes(opts.setName));
    return Promise.all(used.map((r) => this.store.load(r, subst)));
  }

  async resolveSet(set: PackageSetRequest, opts: ResolveSetOptions): Promise<ResolvedPackage[]> {
    const loaded = await this.loadRepositories(set.repositories, opts);
    const files = new Map<string, Awaited<ReturnType<IndexStore['loadFiles']>>>();
    for (;;) {
      const pool = this.poolFor(loaded, opts.architecture, set.exclude, files);
      try {
        let comps = compsByPool.get(pool);
        if (!comps) compsByPool.set(pool, (comps = mergeComps(loaded)));
        const ids = solveSpecs(pool, comps, set.include, set.installWeakDeps, basearchOf(opts.architecture));
        const insecure = new Set(loaded.filter((l) => l.config.sslverify === false).map((l) => l.config.id));
        const out = new Array<ResolvedPackage>(ids.length);
        for (let i = 0; i < ids.length; i++) out[i] = resolvedOf(pool, ids[i], insecure);
        sortByNevra(out);
        return out;
      } catch (e) {
        if (e instanceof NeedFilelists) {
          for (const id of e.repoIds) {
            const l = loaded.find((x) => x.config.id === id)!;
            files.set(id, await this.store.loadFiles(l));
          }
          continue;
        }
        // Index builds drop such a dependency as libsolv does (older formats are rebuilt): one that still held it.
        if (e instanceof RichDepSyntaxError) throw new DepsolveError(`a dependency in the repository metadata does not parse: ${e.message}`, { cause: e });
        throw e;
      }
    }
  }

  /** The armored keys behind the key URLs of repositories with gpgcheck (gpg-keys.ts). */
  async fetchGpgKeys(request: { architecture: string; releasever: string; repositories: RepositoryConfig[] }): Promise<Record<string, string>> {
    const subst: Substitutions = { arch: request.architecture, basearch: basearchOf(request.architecture), releasever: request.releasever };
    return fetchRepositoryGpgKeys(this.store, request.repositories, subst);
  }

  /** Pools keep their dependency and provider caches, so warm resolutions on the same repositories reuse them. */
  private readonly pools = new Map<string, Pool>();

  private poolFor(
    loaded: LoadedRepository[],
    arch: string,
    exclude: string[],
    files: Map<string, Awaited<ReturnType<IndexStore['loadFiles']>>>,
  ): Pool {
    const key = JSON.stringify([
      loaded.map((l) => [l.config.id, l.repomd.revision, l.repomd.base, l.config.priority, l.config.cost, l.config.checkGpg, files.has(l.config.id)]),
      arch,
      [...exclude].sort(),
    ]);
    let pool = this.pools.get(key);
    // The index object must be the same too (a rebuilt index of the same revision is a new object).
    if (pool && pool.repos.every((r, i) => r.index === loaded[i].index)) {
      this.pools.delete(key);
      this.pools.set(key, pool);
      return pool;
    }
    pool = makePool(loaded, arch, exclude, files);
    this.pools.set(key, pool);
    while (this.pools.size > 8) this.pools.delete(this.pools.keys().next().value as string);
    return pool;
  }

  /** Package search for the packages endpoint: newest package of each matching name. */
  async searchPackages(query: PackageSearchQuery): Promise<{ total: number; packages: SearchResult[] }> {
    const loaded = await this.loadRepositories(query.repositories, query);
    return searchLoaded(loaded, query);
  }

  /** The comps groups of the repositories, merged as `@group` specs see them (package recommendations read them). */
  async packageGroups(query: Omit<PackageSearchQuery, 'search' | 'limit' | 'offset'>): Promise<PackageGroup[]> {
    const loaded = await this.loadRepositories(query.repositories, query);
    return mergeComps(loaded).groups.map((g) => ({ id: g.id, name: g.name, packages: g.packages.map((p) => p.name) }));
  }
}

export type SearchResult = PackageSearchResult;

export function searchLoaded(
  loaded: LoadedRepository[],
  query: { architecture: string; search: string; limit?: number; offset?: number },
): { total: number; packages: SearchResult[] } {
  const pool = makePool(loaded, query.architecture, [], new Map());
  const term = query.search.trim().toLowerCase();
  const re = /[*?[]/.test(term) ? globToRegExp(term) : undefined;
  const best = new Map<string, number>();
  for (let p = 1; p < pool.size; p++) {
    if (!pool.installable(p)) continue;
    const name = pool.name(p);
    const lname = name.toLowerCase();
    if (re ? !re.test(lname) : !lname.includes(term)) continue;
    const cur = best.get(name);
    if (cur === undefined || compareEvr(pool.evr(p), pool.evr(cur)) > 0) best.set(name, p);
  }
  const names = [...best.keys()].sort((a, b) => {
    // Exact match first, then prefix matches, then by name.
    const ra = a.toLowerCase() === term ? 0 : a.toLowerCase().startsWith(term) ? 1 : 2;
    const rb = b.toLowerCase() === term ? 0 : b.toLowerCase().startsWith(term) ? 1 : 2;
    return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
  });
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 100;
  const packages = names.slice(offset, offset + limit).map((n) => {
    const p = best.get(n)!;
    const e = pool.evr(p);
    return { name: n, summary: pool.info(p).summary, epoch: e.epoch, version: e.version, release: e.release, arch: pool.arch(p), repoId: pool.repoOf(p).id };
  });
  return { total: names.length, packages };
}

export function makePool(
  loaded: LoadedRepository[],
  arch: string,
  exclude: string[],
  files: Map<string, Awaited<ReturnType<IndexStore['loadFiles']>>>,
): Pool {
  const repos: PoolRepo[] = loaded.map((l) => ({
    id: l.config.id,
    index: l.index,
    files: files.get(l.config.id),
    priority: -(l.config.priority ?? 99),
    subpriority: -(l.config.cost ?? 1000),
    baseurl: l.repomd.base,
    checkGpg: l.config.checkGpg,
  }));
  return new Pool(repos, arch, exclude);
}

/** A pool's merged comps, made once per pool (warm resolutions and the sets of a compose). */
const compsByPool = new WeakMap<Pool, ReturnType<typeof mergeComps>>();
/** A pool's base URLs without trailing slashes, by the base as written (a few distinct ones). */
const basesByPool = new WeakMap<Pool, Map<string, string>>();

/**
 * The package as the Depsolver port returns it: a fresh object (callers may change it) built from the pool's cached
 * fields, no regular expression per package (a cold process turns 2,000 ids into results).
 */
function resolvedOf(pool: Pool, p: number, insecure: ReadonlySet<string>): ResolvedPackage {
  const repo = pool.repoOf(p);
  const e = pool.evr(p);
  const name = pool.name(p);
  const arch = pool.arch(p);
  // Kept by the pool: a warm resolution's results reuse the descriptions.
  const info = pool.info(p);
  let bases = basesByPool.get(pool);
  if (!bases) basesByPool.set(pool, (bases = new Map()));
  const written = info.base || repo.baseurl;
  let base = bases.get(written);
  if (base === undefined) bases.set(written, (base = written.replace(/\/+$/, '')));
  const location = info.location.charCodeAt(0) === 47 /* / */ ? info.location.replace(/^\/+/, '') : info.location;
  const out: ResolvedPackage = {
    name,
    epoch: e.epoch,
    version: e.version,
    release: e.release,
    arch,
    checksum: info.checksum,
    remoteLocation: `${base}/${location}`,
    repoId: repo.id,
  };
  if (repo.checkGpg !== undefined) out.checkGpg = repo.checkGpg;
  if (info.summary) out.summary = info.summary;
  if (info.license) out.license = info.license;
  if (info.sourcerpm) out.sourceRpm = info.sourcerpm;
  // Packages of repositories with sslverify off: their downloads skip TLS verification too.
  if (insecure.size && insecure.has(repo.id)) out.ignoreSsl = true;
  return out;
}

/**
 * Sort by NEVRA: the names by the engine's own string sort (a cold process's comparator calls cost it ~2 ms for 2,000
 * packages), then the few packages sharing a name by EVR and arch. Both orders compare UTF-16 code units.
 */
function sortByNevra(out: ResolvedPackage[]): void {
  const named = new Map<string, ResolvedPackage | ResolvedPackage[]>();
  for (let i = 0; i < out.length; i++) {
    const r = out[i];
    const had = named.get(r.name);
    if (had === undefined) named.set(r.name, r);
    else if (Array.isArray(had)) had.push(r);
    else named.set(r.name, [had, r]);
  }
  const names = [...named.keys()].sort();
  let k = 0;
  for (let i = 0; i < names.length; i++) {
    const v = named.get(names[i])!;
    if (!Array.isArray(v)) out[k++] = v;
    else for (const r of v.sort(byNevra)) out[k++] = r;
  }
}

function byNevra(a: ResolvedPackage, b: ResolvedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return compareEvr(a, b) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0);
}
