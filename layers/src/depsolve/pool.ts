/**
 * The pool: all packages of the repositories taking part in one resolution (pool-packages.ts), with dependency and
 * provider lookups over the repositories' indexes.
 */
import { depFromIndex, evrInRange, rangesOverlap, type Dep, type SimpleDep } from './dependency.ts';
import { PoolPackages, type PoolRepo } from './pool-packages.ts';
import { DEP_FLAG_BITS, DEP_KINDS, DEP_RICH, KIND, P_NAME, type DepKind, type RepoIndex } from './repo-index.ts';
import { parseEvr, type Evr } from './rpm-version.ts';

export type { PoolRepo } from './pool-packages.ts';

/** Thrown when a file dependency needs a repository's filelists, which the caller loads before solving again. */
export class NeedFilelists extends Error {
  constructor(readonly repoIds: string[]) {
    super(`filelists needed for ${repoIds.join(', ')}`);
  }
}

/** The dependencies of a package that has none of a kind (shared; never changed). */
const NO_DEPS: Dep[] = [];

const PRIMARY_FILE_RE = /^(\/etc\/|.*bin\/|\/usr\/lib\/sendmail$)/;

export class Pool extends PoolPackages {
  /** Dependencies by kind, then package id (decoded on first use). */
  private readonly depCache: (Dep[] | undefined)[][];
  private readonly reverseCache = { conflicts: new Map<string, number[]>(), obsoletes: new Map<string, number[]>() };
  private readonly providesCache = new Map<string, Int32Array>();
  /**
   * Each repository's dependencies as one shared object per distinct (name, flags, version) triple: the same
   * dependency on many packages is decoded once, and what is derived from it (providers, clauses) is cached once.
   */
  private readonly depIntern: Map<number | string, Dep>[];
  /**
   * By repository: the providers of its simple dependencies, by name id (unversioned) or by name id, range and version id:
   * rule derivation reads them from the index's integers without a dependency object (null: rpmlib(), rpm's own).
   */
  private readonly requireCache: Map<number, Int32Array | null>[];
  private readonly versionedRequireCache: Map<number, Map<number, Int32Array | null>>[];
  /** Where an interned simple dependency's name is in its own index, and its providers once known. */
  private readonly internedSimple = new Map<SimpleDep, { repo: number; nameId: number; providers?: Int32Array }>();

  constructor(repos: PoolRepo[], arch: string, excludes: string[] = []) {
    super(repos, arch, excludes);
    this.depCache = DEP_KINDS.map(() => []);
    this.depIntern = repos.map(() => new Map());
    this.requireCache = repos.map(() => new Map());
    this.versionedRequireCache = repos.map(() => new Map());
  }

  deps(p: number, kind: DepKind): Dep[] {
    const k = KIND[kind];
    let cache = this.depCache[k];
    if (cache.length === 0) this.depCache[k] = cache = new Array(this.size);
    let d = cache[p];
    if (d === undefined) {
      const ri = this.repoAt(p);
      const x = this.repos[ri].index;
      const local = p - this.offsets[ri];
      const a = x.depStart(local, k);
      const b = x.depEnd(local, k);
      d = a === b ? NO_DEPS : [];
      for (let j = a; j < b; j++) {
        const dep = this.internDep(ri, x, j);
        // rpmlib() dependencies are satisfied by rpm itself.
        if (k === KIND.requires && dep.kind === 'simple' && dep.name.startsWith('rpmlib(')) continue;
        d.push(dep);
      }
      cache[p] = d;
    }
    return d;
  }

  /**
   * Packages satisfying dependency `j` of repository `ri`'s index, ascending: null for an rpmlib() one (rpm satisfies
   * it itself), undefined for a rich one (see depAt). Cached by the dependency's ids.
   */
  simpleProviders(ri: number, j: number): Int32Array | null | undefined {
    const x = this.repos[ri].index;
    const flags = x.depFlags(j);
    if (flags & DEP_RICH) return undefined;
    const nameId = x.depName(j);
    const rel = flags & 7;
    let cache = this.requireCache[ri];
    let key = nameId;
    if (rel) {
      key = x.depEvr(j);
      const byRange = this.versionedRequireCache[ri];
      const rangeKey = nameId * 8 + rel;
      const c = byRange.get(rangeKey);
      if (c) cache = c;
      else byRange.set(rangeKey, (cache = new Map()));
    }
    let provs = cache.get(key);
    if (provs === undefined) {
      const dep = this.internDep(ri, x, j) as SimpleDep;
      provs = dep.name.startsWith('rpmlib(') ? null : this.whatProvides(dep);
      cache.set(key, provs);
    }
    return provs;
  }

  /** Dependency `j` of repository `ri`'s index as a dependency object (shared). */
  depAt(ri: number, j: number): Dep {
    return this.internDep(ri, this.repos[ri].index, j);
  }

  /** The shared dependency object of the index's dependency `j` (repository `ri`). */
  private internDep(ri: number, x: RepoIndex, j: number): Dep {
    const nameId = x.depName(j);
    const flags = x.depFlags(j);
    const evrId = x.depEvr(j);
    // Exact below 2^53 (a string key beyond: an index of more than 16 million strings).
    const n = x.stringCount;
    const key = n * n * 2 ** DEP_FLAG_BITS < 2 ** 53 ? ((evrId * n + nameId) * 2 ** DEP_FLAG_BITS) + flags : `${nameId},${flags},${evrId}`;
    const interned = this.depIntern[ri];
    let dep = interned.get(key);
    if (!dep) {
      dep = depFromIndex(x.str(nameId), flags, evrId ? x.str(evrId) : undefined);
      interned.set(key, dep);
      if (dep.kind === 'simple') this.internedSimple.set(dep, { repo: ri, nameId });
    }
    return dep;
  }

  /** Installable packages whose Provides (or files) satisfy a simple dependency, ascending ids. */
  whatProvides(dep: SimpleDep): Int32Array {
    const home = this.internedSimple.get(dep);
    if (home?.providers) return home.providers;
    const key = dep.flags ? `${dep.name}\0${dep.flags}\0${dep.evrText}` : dep.name;
    let res = this.providesCache.get(key);
    if (!res) {
      const out: number[] = [];
      const needFiles: string[] = [];
      for (let ri = 0; ri < this.repos.length; ri++) {
        const r = this.repos[ri];
        const off = this.offsets[ri];
        const before = out.length;
        // An interned dependency's name id in its own index saves looking the name up there.
        this.collectProviders(r.index, off, dep, out, false, home?.repo === ri ? home.nameId : r.index.lookup(dep.name));
        if (out.length === before && dep.name.charCodeAt(0) === 47 /* / */ && !PRIMARY_FILE_RE.test(dep.name)) {
          if (r.files) this.collectProviders(r.files, off, dep, out, true, r.files.lookup(dep.name));
          else if (r.index.meta.hasFilelists) needFiles.push(r.id);
        }
      }
      if (needFiles.length) throw new NeedFilelists(needFiles);
      res = Int32Array.from(out);
      this.providesCache.set(key, res);
    }
    if (home) home.providers = res;
    return res;
  }

  private collectProviders(x: RepoIndex, off: number, dep: SimpleDep, out: number[], filesOnly: boolean, nameId: number): void {
    if (nameId < 0) return;
    // By count and position: a sole provider's list would be a view made per call (a cold process asks thousands).
    for (let k = 0, n = x.providerCount(nameId); k < n; k++) {
      const local = x.providerAt(nameId, k);
      const p = off + local;
      if (!this.installable(p)) continue;
      if (!dep.flags || filesOnly) {
        out.push(p);
        continue;
      }
      for (let d = x.depStart(local, KIND.provides), b = x.depEnd(local, KIND.provides); d < b; d++) {
        if (x.depName(d) !== nameId) continue;
        const pflags = x.depFlags(d) & 7;
        const evrId = x.depEvr(d);
        if (rangesOverlap(pflags, evrId ? parseEvrCached(x.str(evrId)) : undefined, dep.flags, dep.evr)) {
          out.push(p);
          break;
        }
      }
    }
  }

  /** Installable packages with a Provides (or a file in primary or loaded filelists) whose name matches, ascending. */
  providersMatching(re: RegExp): number[] {
    const out = new Set<number>();
    this.repos.forEach((r, ri) => {
      for (const x of r.files ? [r.index, r.files] : [r.index]) {
        for (let id = 1; id < x.stringCount; id++) {
          const provs = x.providersOf(id);
          if (!provs.length || !re.test(x.str(id))) continue;
          for (let j = 0; j < provs.length; j++) if (this.installable(this.offsets[ri] + provs[j])) out.add(this.offsets[ri] + provs[j]);
        }
      }
    });
    return [...out].sort((a, b) => a - b);
  }

  /** Installable packages named `name` whose EVR is in the range (obsoletes semantics). */
  whatNamed(dep: SimpleDep): number[] {
    const out: number[] = [];
    for (const p of this.whatProvides({ kind: 'simple', name: dep.name, flags: 0 })) {
      if (this.name(p) === dep.name && evrInRange(this.evr(p), dep.flags, dep.evr)) out.push(p);
    }
    return out;
  }

  /** Packages with a Conflicts / Obsoletes naming `name` (candidates to check against a package). */
  reverse(kind: 'conflicts' | 'obsoletes', name: string): readonly number[] {
    const cached = this.reverseCache[kind].get(name);
    if (cached) return cached;
    const out: number[] = [];
    this.repos.forEach((r, ri) => {
      const id = r.index.lookup(name);
      if (id < 0) return;
      const list = kind === 'conflicts' ? r.index.conflictersOf(id) : r.index.obsoletersOf(id);
      for (let j = 0; j < list.length; j++) {
        const p = this.offsets[ri] + list[j];
        if (this.installable(p)) out.push(p);
      }
    });
    this.reverseCache[kind].set(name, out);
    return out;
  }

  /** Is package p's name obsoleted by an installable package? Most names are by none, which the index says by id. */
  nameObsoleted(p: number): boolean {
    const home = this.repoAt(p);
    const homeIndex = this.repos[home].index;
    const nameId = homeIndex.field(p - this.offsets[home], P_NAME);
    let named = false;
    for (let ri = 0; ri < this.repos.length && !named; ri++) {
      const x = this.repos[ri].index;
      const id = ri === home ? nameId : x.lookup(homeIndex.str(nameId));
      named = id >= 0 && x.hasObsoleters(id);
    }
    return named && this.reverse('obsoletes', this.name(p)).length > 0;
  }

  /** Names this package provides (for reverse conflict lookups). */
  provideNames(p: number): string[] {
    const names = new Set<string>();
    for (const d of this.deps(p, 'provides')) if (d.kind === 'simple') names.add(d.name);
    return [...names];
  }
}

const evrParseCache = new Map<string, Evr>();
function parseEvrCached(s: string): Evr {
  let e = evrParseCache.get(s);
  if (!e) {
    e = parseEvr(s);
    if (evrParseCache.size > 200_000) evrParseCache.clear();
    evrParseCache.set(s, e);
  }
  return e;
}
