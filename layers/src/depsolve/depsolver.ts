/** The Depsolver port implementation: package sets resolved from repository indexes, dnf 4's way. */
import type { Depsolver, PackageSearchResult, PackageSetRequest, RepositoryConfig, ResolvedPackage } from '../packages/package-set.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { parseDep } from './dependency.ts';
import { IndexStore, type LoadedRepository } from './index-store.ts';
import { NeedFilelists, Pool, globToRegExp, type PoolRepo } from './pool.ts';
import type { Comps, CompsGroup } from './repo-index.ts';
import type { FetchFn, Substitutions } from './repo-metadata.ts';
import { compareEvr } from './rpm-version.ts';
import { Solver, UnsolvableError, type Job } from './solver.ts';
import { basearchOf } from './arch.ts';

/** A request that cannot be satisfied; `message` is dnf's problem text. */
export class DepsolveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DepsolveError';
  }
}

export interface RepoDepsolverOptions {
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
    this.store = opts.store ?? new IndexStore({ blobStore: opts.blobStore, fetch: opts.fetch });
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
        const ids = solveSpecs(pool, mergeComps(loaded), set.include, set.installWeakDeps, basearchOf(opts.architecture));
        return ids.map((p) => toResolved(pool, p)).sort(byNevra);
      } catch (e) {
        if (e instanceof NeedFilelists) {
          for (const id of e.repoIds) {
            const l = loaded.find((x) => x.config.id === id)!;
            files.set(id, await this.store.loadFiles(l));
          }
          continue;
        }
        throw e;
      }
    }
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
  async searchPackages(query: {
    repositories: RepositoryConfig[];
    architecture: string;
    releasever: string;
    search: string;
    limit?: number;
    offset?: number;
  }): Promise<{ total: number; packages: SearchResult[] }> {
    const loaded = await this.loadRepositories(query.repositories, query);
    return searchLoaded(loaded, query);
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

export function mergeComps(loaded: LoadedRepository[]): Comps {
  const groups = new Map<string, CompsGroup>();
  const envs = new Map<string, Comps['environments'][number]>();
  for (const l of loaded) {
    const c = l.index.comps();
    if (!c) continue;
    for (const g of c.groups) {
      const prev = groups.get(g.id);
      if (!prev) groups.set(g.id, { ...g, packages: [...g.packages] });
      else for (const p of g.packages) if (!prev.packages.some((q) => q.name === p.name)) prev.packages.push(p);
    }
    for (const e of c.environments) if (!envs.has(e.id)) envs.set(e.id, e);
  }
  return { groups: [...groups.values()], environments: [...envs.values()] };
}

/** Turn dnf install specs into solver jobs, then solve. Returns package ids. */
export function solveSpecs(pool: Pool, comps: Comps, include: string[], weakDeps: boolean, basearch: string): number[] {
  const jobs: Job[] = [];
  const missing: string[] = [];
  const groupJobs: Job[] = [];
  for (const spec of include) {
    if (spec.startsWith('@')) {
      const g = groupJobsFor(pool, comps, spec, basearch);
      if (!g) missing.push(spec);
      else groupJobs.push(...g);
      continue;
    }
    const cands = candidatesForSpec(pool, spec);
    if (!cands.length) missing.push(spec);
    else jobs.push({ kind: 'install', spec, candidates: cands });
  }
  if (missing.length) {
    // dnf's MarkingErrors text.
    const pk = missing.filter((m) => !m.startsWith('@'));
    const gr = missing.filter((m) => m.startsWith('@'));
    const lines = ['Problems in request:'];
    if (pk.length) lines.push(`missing packages: ${pk.join(', ')}`);
    if (gr.length) lines.push(`missing groups or modules: ${gr.join(', ')}`);
    throw new DepsolveError(lines.join('\n'));
  }
  // dnf adds group members after the plain package specs (_finalize_comps_trans runs at resolve time).
  jobs.push(...groupJobs);
  try {
    return new Solver(pool, { weakDeps }).solve(jobs);
  } catch (e) {
    if (e instanceof UnsolvableError) throw new DepsolveError(e.message, { cause: e });
    throw e;
  }
}

/** Packages a spec names: NEVRA forms first, then provides / file paths, as dnf's install_specs. */
export function candidatesForSpec(pool: Pool, spec: string): number[] {
  const byName = (name: string): number[] => {
    if (/[*?[]/.test(name)) {
      const re = globToRegExp(name);
      const out: number[] = [];
      for (let p = 1; p < pool.size; p++) if (pool.installable(p) && re.test(pool.name(p))) out.push(p);
      return out;
    }
    return pool.byName(name);
  };
  // Plain name: its packages plus the packages that obsolete them (dnf's obsoletes=True).
  let found = byName(spec);
  if (found.length) return withObsoleters(pool, found);
  // name.arch
  const dot = spec.lastIndexOf('.');
  if (dot > 0) {
    const arch = spec.slice(dot + 1);
    found = byName(spec.slice(0, dot)).filter((p) => pool.arch(p) === arch);
    if (found.length) return found;
  }
  // name-[epoch:]version[-release][.arch]
  const forms = nevraForms(spec);
  for (const f of forms) {
    found = byName(f.name).filter((p) => {
      const e = pool.evr(p);
      if (f.epoch !== undefined && e.epoch !== f.epoch) return false;
      if (e.version !== f.version) return false;
      if (f.release !== undefined && e.release !== f.release) return false;
      if (f.arch !== undefined && pool.arch(p) !== f.arch) return false;
      return true;
    });
    if (found.length) return found;
  }
  // Provides (including file paths).
  try {
    const d = parseDep(spec);
    if (d.kind === 'simple') return Array.from(pool.whatProvides(d));
  } catch {
    // not a dependency expression
  }
  return [];
}

function nevraForms(spec: string): { name: string; epoch?: number; version: string; release?: string; arch?: string }[] {
  const out: { name: string; epoch?: number; version: string; release?: string; arch?: string }[] = [];
  const parseEV = (s: string): { epoch?: number; version: string } => {
    const c = s.indexOf(':');
    return c > 0 ? { epoch: Number(s.slice(0, c)), version: s.slice(c + 1) } : { version: s };
  };
  const parts = spec.split('-');
  // name-version-release(.arch)
  if (parts.length >= 3) {
    let rel = parts[parts.length - 1];
    let arch: string | undefined;
    const d = rel.lastIndexOf('.');
    const relNoArch = d > 0 ? rel.slice(0, d) : undefined;
    if (d > 0) arch = rel.slice(d + 1);
    const name = parts.slice(0, -2).join('-');
    const ev = parseEV(parts[parts.length - 2]);
    if (arch && relNoArch) out.push({ name, ...ev, release: relNoArch, arch });
    rel = parts[parts.length - 1];
    out.push({ name, ...ev, release: rel });
  }
  if (parts.length >= 2) out.push({ name: parts.slice(0, -1).join('-'), ...parseEV(parts[parts.length - 1]) });
  return out;
}

function withObsoleters(pool: Pool, pkgs: number[]): number[] {
  const set = new Set(pkgs);
  const names = new Set(pkgs.map((p) => pool.name(p)));
  for (const name of names) {
    for (const q of pool.reverse('obsoletes', name)) {
      if (set.has(q)) continue;
      for (const d of pool.deps(q, 'obsoletes')) {
        if (d.kind === 'simple' && d.name === name && pool.whatNamed(d).some((p) => set.has(p))) {
          set.add(q);
          break;
        }
      }
    }
  }
  return [...set].sort((a, b) => a - b);
}

function groupJobsFor(pool: Pool, comps: Comps, spec: string, basearch: string): Job[] | undefined {
  const id = spec.replace(/^@\^?/, '');
  const env = comps.environments.find((e) => e.id === id);
  const group = comps.groups.find((g) => g.id === id);
  let groups: CompsGroup[];
  if (spec.startsWith('@^') || (!group && env)) {
    if (!env) return undefined;
    groups = env.groups.map((g) => comps.groups.find((x) => x.id === g)).filter((g): g is CompsGroup => !!g);
  } else if (group) groups = [group];
  else return undefined;
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    for (const pkg of g.packages) {
      // install_specs uses group_package_types: mandatory, default and conditional.
      // A name listed both plainly and as conditional gives two jobs, as in dnf.
      const key = `${pkg.name}\0${pkg.requires ?? ''}`;
      if (pkg.type === 'optional' || seen.has(key)) continue;
      seen.add(key);
      let q = pool.byName(pkg.name);
      if (pkg.basearchonly) q = q.filter((p) => pool.arch(p) === basearch);
      if (!q.length) continue; // dnf warns 'No match for group package' and goes on
      if (pkg.requires) {
        const triggers = Array.from(pool.whatProvides({ kind: 'simple', name: pkg.requires, flags: 0 }));
        const providers = Array.from(pool.whatProvides({ kind: 'simple', name: pkg.name, flags: 0 }));
        jobs.push({ kind: 'conditional', spec: `(${pkg.name} if ${pkg.requires})`, providers, triggers });
      } else {
        jobs.push({ kind: 'install', spec: pkg.name, candidates: withObsoleters(pool, q) });
      }
    }
  }
  return jobs;
}

function toResolved(pool: Pool, p: number): ResolvedPackage {
  const e = pool.evr(p);
  const info = pool.info(p);
  const repo = pool.repoOf(p);
  const base = (info.base || repo.baseurl).replace(/\/+$/, '');
  const out: ResolvedPackage = {
    name: pool.name(p),
    epoch: e.epoch,
    version: e.version,
    release: e.release,
    arch: pool.arch(p),
    checksum: info.checksum,
    remoteLocation: `${base}/${info.location.replace(/^\/+/, '')}`,
    repoId: repo.id,
  };
  if (repo.checkGpg !== undefined) out.checkGpg = repo.checkGpg;
  if (info.summary) out.summary = info.summary;
  if (info.license) out.license = info.license;
  if (info.sourcerpm) out.sourceRpm = info.sourcerpm;
  return out;
}

function byNevra(a: ResolvedPackage, b: ResolvedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return compareEvr(a, b) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0);
}
