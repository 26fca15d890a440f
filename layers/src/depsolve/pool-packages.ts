/**
 * The package side of a pool: the packages of the repositories taking part in one resolution, numbered 1..n in
 * repository order then metadata order (as libsolv numbers solvables), whether each is installable, and their names,
 * versions and descriptions (decoded on first use). pool.ts adds their dependencies and providers.
 */
import { archScore } from './arch.ts';
import { globToRegExp } from './glob.ts';
import { KIND, P_NAME, type PackageInfo, type RepoIndex } from './repo-index.ts';
import type { Evr } from './rpm-version.ts';

export interface PoolRepo {
  id: string;
  index: RepoIndex;
  /** File index (filelists), when loaded. */
  files?: RepoIndex;
  /** libsolv priority: higher wins (dnf's priority negated). */
  priority: number;
  /** libsolv subpriority: higher wins (dnf's cost negated). */
  subpriority: number;
  /** Base URL for package locations. */
  baseurl: string;
  checkGpg?: boolean;
}

export class PoolPackages {
  readonly repos: PoolRepo[];
  /** First package id of each repository (ids start at 1). */
  protected readonly offsets: number[];
  readonly size: number; // number of packages + 1
  /**
   * Found on first use (a cold process looks at a few thousand of the packages): 0 = not yet, 1 = installable,
   * 2 = not installable (incompatible architecture), 3 = hidden by an exclude (dnf never sees it; an incompatible
   * package it sees, but cannot install).
   */
  private readonly state: Uint8Array;
  private readonly targetArch: string;
  private readonly excludeRes: RegExp[];
  /** By repository: may packages of this architecture (string id) be installed? */
  private readonly archOk: Map<number, boolean>[];
  private readonly nameCache: (string | undefined)[];
  private readonly evrCache: (Evr | undefined)[];
  private readonly infoCache = new Map<number, PackageInfo>();
  private supplementing: number[] | undefined;
  private readonly byNameCache = new Map<string, number[]>();

  constructor(repos: PoolRepo[], arch: string, excludes: string[] = []) {
    this.repos = repos;
    this.offsets = [];
    let n = 1;
    for (const r of repos) {
      this.offsets.push(n);
      n += r.index.packageCount;
    }
    this.size = n;
    this.state = new Uint8Array(n);
    this.targetArch = arch;
    this.excludeRes = excludes.map((x) => globToRegExp(x));
    this.archOk = repos.map(() => new Map());
    this.nameCache = new Array(n);
    this.evrCache = new Array(n);
  }

  /** Package p's state (see `state`), found now if not yet. */
  private stateOf(p: number): number {
    const known = this.state[p];
    if (known) return known;
    const ri = this.repoAt(p);
    const idx = this.repos[ri].index;
    const i = p - this.offsets[ri];
    let s = 1;
    if (this.excludeRes.length && this.excludeRes.some((re) => re.test(idx.name(i)))) s = 3;
    else {
      const a = idx.archId(i);
      let ok = this.archOk[ri].get(a);
      if (ok === undefined) this.archOk[ri].set(a, (ok = archScore(idx.str(a), this.targetArch) > 0));
      if (!ok) s = 2;
    }
    this.state[p] = s;
    return s;
  }

  /** The repository (position) package p belongs to. */
  repoAt(p: number): number {
    const offsets = this.offsets;
    if (p <= 0 || p >= this.size) throw new Error(`bad package id ${p}`);
    // Few repositories: linear search from the end.
    let r = offsets.length - 1;
    while (p < offsets[r]) r--;
    return r;
  }

  repoOf(p: number): PoolRepo {
    return this.repos[this.repoAt(p)];
  }

  /** The index package p is in. */
  private indexOf(p: number): RepoIndex {
    return this.repos[this.repoAt(p)].index;
  }

  /** The pool id of the first package of repository `ri`. */
  offsetOf(ri: number): number {
    return this.offsets[ri];
  }

  /** Package p's number in its index. */
  private local(p: number): number {
    return p - this.offsets[this.repoAt(p)];
  }

  name(p: number): string {
    let s = this.nameCache[p];
    if (s === undefined) {
      s = this.indexOf(p).name(this.local(p));
      this.nameCache[p] = s;
    }
    return s;
  }

  evr(p: number): Evr {
    let e = this.evrCache[p];
    if (e === undefined) {
      e = this.indexOf(p).evr(this.local(p));
      this.evrCache[p] = e;
    }
    return e;
  }

  arch(p: number): string {
    return this.indexOf(p).arch(this.local(p));
  }

  /** Neither of an incompatible architecture nor excluded. */
  installable(p: number): boolean {
    return (this.state[p] || this.stateOf(p)) === 1;
  }

  /** Not excluded: dnf's queries see it (and report it when its architecture is incompatible). */
  visible(p: number): boolean {
    return (this.state[p] || this.stateOf(p)) !== 3;
  }

  /** Visible packages named exactly `name`, installable or not, ascending ids. */
  namedVisible(name: string): number[] {
    const out: number[] = [];
    this.repos.forEach((r, ri) => {
      const id = r.index.lookup(name);
      if (id < 0) return;
      for (let k = 0, n = r.index.providerCount(id); k < n; k++) {
        const p = this.offsets[ri] + r.index.providerAt(id, k);
        if (this.visible(p) && this.name(p) === name) out.push(p);
      }
    });
    return out;
  }

  /** `name-[epoch:]version-release.arch`, as libsolv prints a solvable. */
  nevra(p: number): string {
    const e = this.evr(p);
    return `${this.name(p)}-${e.epoch ? `${e.epoch}:` : ''}${e.version}-${e.release}.${this.arch(p)}`;
  }

  info(p: number): PackageInfo {
    let info = this.infoCache.get(p);
    if (!info) {
      const e = this.evr(p);
      this.infoCache.set(p, (info = this.indexOf(p).infoWith(this.local(p), this.name(p), e.version, e.release, this.arch(p))));
    }
    return info;
  }

  /** Installable packages with Supplements. */
  withSupplements(): readonly number[] {
    if (!this.supplementing) {
      const out: number[] = [];
      for (let ri = 0; ri < this.repos.length; ri++) {
        const idx = this.repos[ri].index;
        const off = this.offsets[ri];
        const withDeps = idx.packagesWithDeps(KIND.supplements);
        for (let k = 0; k < withDeps.length; k++) if (this.installable(off + withDeps[k])) out.push(off + withDeps[k]);
      }
      this.supplementing = out;
    }
    return this.supplementing;
  }

  /**
   * May another package have package p's name? False when p is the only provider of its name in the only repository
   * (most names), without looking further.
   */
  hasSameName(p: number): boolean {
    if (this.repos.length > 1) return true;
    const x = this.repos[0].index;
    return x.providerCount(x.field(p - this.offsets[0], P_NAME)) > 1;
  }

  /** Installable packages with package p's name (p too when installable), ascending; by name id where it can. */
  sameName(p: number): number[] {
    const home = this.repoAt(p);
    const homeIndex = this.repos[home].index;
    const nameId = homeIndex.field(p - this.offsets[home], P_NAME);
    const out: number[] = [];
    for (let ri = 0; ri < this.repos.length; ri++) {
      const x = this.repos[ri].index;
      this.collectNamed(ri, ri === home ? nameId : x.lookup(homeIndex.str(nameId)), out);
    }
    return out;
  }

  /** All installable packages named exactly `name`, ascending. */
  byName(name: string): number[] {
    let r = this.byNameCache.get(name);
    if (!r) {
      r = [];
      for (let ri = 0; ri < this.repos.length; ri++) this.collectNamed(ri, this.repos[ri].index.lookup(name), r);
      this.byNameCache.set(name, r);
    }
    return r;
  }

  /** Append the installable packages of repository `ri` named by its string `nameId` (a provider of it). */
  private collectNamed(ri: number, nameId: number, out: number[]): void {
    if (nameId < 0) return;
    const x = this.repos[ri].index;
    const off = this.offsets[ri];
    for (let k = 0, n = x.providerCount(nameId); k < n; k++) {
      const q = x.providerAt(nameId, k);
      if (x.field(q, P_NAME) === nameId && this.installable(off + q)) out.push(off + q);
    }
  }
}
