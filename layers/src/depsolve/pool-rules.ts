/**
 * What a resolution derives from the pool alone, derived once per pool and shared by every resolution on it (warm
 * solves, and the build root and OS sets of one compose): each package's rules (requires clauses, conflicts,
 * obsoletes, same-name exclusions; normalized, tautologies dropped) and the clauses and providers of dependencies.
 * Shared rules are never mutated: a solver keeps its own state about them.
 */
import type { Dep } from './dependency.ts';
import type { Pool } from './pool.ts';
import { KIND } from './repo-index.ts';
import { depCnf, normalizeRule, richProviders, type Rule } from './solver-rules.ts';

const shared = new WeakMap<Pool, PoolRules>();
const NONE: readonly number[] = [];

export class PoolRules {
  private readonly cnfs = new Map<Dep, readonly (readonly number[])[]>();
  private readonly providerLists = new Map<Dep, readonly number[]>();
  /** By package id (preallocated: an array written at scattered ids would fall back to a slow dictionary). */
  private readonly byPackage: (readonly Rule[] | undefined)[];
  private readonly weakByPackage: (readonly ArrayLike<number>[] | undefined)[];
  private supplementers: readonly number[] | undefined;
  private readonly supplementerSet = new Set<number>();
  private readonly triggers = new Map<number, readonly number[]>();

  private constructor(private readonly pool: Pool) {
    this.byPackage = new Array(pool.size);
    this.weakByPackage = new Array(pool.size);
  }

  /** The pool's shared derivations (made on first use). */
  static of(pool: Pool): PoolRules {
    let r = shared.get(pool);
    if (!r) shared.set(pool, (r = new PoolRules(pool)));
    return r;
  }

  /** Clauses a dependency imposes ([] = always true; [[]] = unsatisfiable). */
  cnf(d: Dep): readonly (readonly number[])[] {
    let c = this.cnfs.get(d);
    if (!c) this.cnfs.set(d, (c = depCnf(this.pool, d)));
    return c;
  }

  /** Packages satisfying a dependency (rich: as richProviders), ascending for simple dependencies. */
  providers(d: Dep): readonly number[] {
    let c = this.providerLists.get(d);
    if (!c) this.providerLists.set(d, (c = richProviders(this.pool, d)));
    return c;
  }

  /** The rules of package p, in the order libsolv makes them. */
  rulesOf(p: number): readonly Rule[] {
    let rs = this.byPackage[p];
    if (!rs) this.byPackage[p] = rs = this.makeRules(p);
    return rs;
  }

  /**
   * The providers of each of package p's Recommends, in order (their rules are needed before weak dependencies are
   * resolved); simple ones straight from the index's ids.
   */
  recommendProviders(p: number): readonly ArrayLike<number>[] {
    let groups = this.weakByPackage[p];
    if (!groups) {
      const pool = this.pool;
      const ri = pool.repoAt(p);
      const x = pool.repos[ri].index;
      const local = p - pool.offsetOf(ri);
      const end = x.depEnd(local, KIND.recommends);
      const out: ArrayLike<number>[] = [];
      for (let j = x.depStart(local, KIND.recommends); j < end; j++) {
        const provs = pool.simpleProviders(ri, j);
        out.push(provs === undefined ? this.providers(pool.depAt(ri, j)) : (provs ?? NONE));
      }
      this.weakByPackage[p] = groups = out;
    }
    return groups;
  }

  /**
   * Installable packages with a Supplements that some installed set could satisfy (one whose clauses include an
   * empty one, such as `(glibc and langpacks-en)` without a langpacks-en, never can), ascending ids.
   */
  supplementing(): readonly number[] {
    if (!this.supplementers) {
      this.supplementers = this.pool.withSupplements().filter((p) => this.anySupplement(p, isSatisfiable));
      for (const p of this.supplementers) this.supplementerSet.add(p);
    }
    return this.supplementers;
  }

  /** Packages whose being reachable makes package p's Supplements worth a rule: the providers of each of them. */
  supplementTriggers(p: number): readonly number[] {
    let qs = this.triggers.get(p);
    if (!qs) {
      const out: number[] = [];
      const pool = this.pool;
      this.someSupplement(p, (ri, j) => {
        const simple = pool.simpleProviders(ri, j);
        const ps = simple === undefined ? this.providers(pool.depAt(ri, j)) : (simple ?? NONE);
        for (let k = 0; k < ps.length; k++) out.push(ps[k]);
        return false;
      });
      this.triggers.set(p, (qs = out));
    }
    return qs;
  }

  /**
   * Does one of package p's Supplements hold, each of its clauses passing `holds`? A simple one's providers are its
   * one clause, taken from the index's ids (no dependency objects: a cold process checks ~600 supplementing packages).
   */
  anySupplement(p: number, holds: (clause: ArrayLike<number>) => boolean): boolean {
    const pool = this.pool;
    return this.someSupplement(p, (ri, j) => {
      const simple = pool.simpleProviders(ri, j);
      return simple ? holds(simple) : this.cnf(pool.depAt(ri, j)).every(holds);
    });
  }

  /** Visits package p's Supplements as (repository, index dependency) until `visit` returns true. */
  private someSupplement(p: number, visit: (ri: number, j: number) => boolean): boolean {
    const pool = this.pool;
    const ri = pool.repoAt(p);
    const x = pool.repos[ri].index;
    const local = p - pool.offsetOf(ri);
    for (let j = x.depStart(local, KIND.supplements), end = x.depEnd(local, KIND.supplements); j < end; j++) if (visit(ri, j)) return true;
    return false;
  }

  /** May package p's Supplements ever be satisfied? */
  maySupplement(p: number): boolean {
    this.supplementing();
    return this.supplementerSet.has(p);
  }

  private makeRules(p: number): Rule[] {
    const pool = this.pool;
    const out: Rule[] = [];
    // Requires straight from the index's ids (a simple one's providers are cached by its ids), rich ones as clauses.
    const ri = pool.repoAt(p);
    const x = pool.repos[ri].index;
    const local = p - pool.offsetOf(ri);
    for (let j = x.depStart(local, KIND.requires), end = x.depEnd(local, KIND.requires); j < end; j++) {
      const provs = pool.simpleProviders(ri, j);
      if (provs === null) continue;
      if (provs !== undefined) {
        if (provs.includes(p)) continue; // provided by itself
        const r = requiresRule(p, provs);
        if (r) out.push(r);
        else addRule(out, { lits: [-p, ...provs], type: 'requires', pkg: p, dep: undefined, order: [] });
        continue;
      }
      const d = pool.depAt(ri, j);
      const cnf = this.cnf(d);
      for (let c = 0; c < cnf.length; c++) {
        const clause = cnf[c];
        if (clause.includes(p)) continue;
        addRule(out, { lits: [-p, ...clause], type: 'requires', pkg: p, dep: d, order: [] });
      }
    }
    // Most packages have neither Conflicts nor Obsoletes: their ranges say so without decoding anything.
    if (x.depEnd(local, KIND.conflicts) > x.depStart(local, KIND.conflicts)) {
      const conflicts = pool.deps(p, 'conflicts');
      for (let i = 0; i < conflicts.length; i++) {
        const d = conflicts[i];
        const qs = this.providers(d);
        for (let k = 0; k < qs.length; k++) if (qs[k] !== p) addRule(out, { lits: [-p, -qs[k]], type: 'conflicts', pkg: p, dep: d, order: [] });
      }
    }
    if (x.depEnd(local, KIND.obsoletes) > x.depStart(local, KIND.obsoletes)) {
      const obsoletes = pool.deps(p, 'obsoletes');
      for (let i = 0; i < obsoletes.length; i++) {
        const d = obsoletes[i];
        if (d.kind !== 'simple') continue;
        for (const q of pool.whatNamed(d)) {
          if (q !== p && pool.name(q) !== pool.name(p)) addRule(out, { lits: [-p, -q], type: 'obsoletes', pkg: p, dep: d, order: [] });
        }
      }
    }
    if (pool.hasSameName(p)) {
      const same = pool.sameName(p);
      for (let i = 0; i < same.length; i++) {
        const q = same[i];
        if (q !== p) addRule(out, { lits: [-Math.min(p, q), -Math.max(p, q)], type: 'samename', pkg: p, order: [] });
      }
    }
    return out;
  }
}

/** Add a rule made here, normalized (a tautology is left out). */
function addRule(out: Rule[], r: Rule): void {
  if (normalizeRule(r)) out.push(r);
}

/**
 * `-p or one of the providers`, made without normalizing when the providers are distinct and ascending (as a simple
 * dependency's are): the rule is then already in libsolv's rule order. Undefined otherwise. (Its dependency is left
 * out: traces name the package.)
 */
function requiresRule(p: number, providers: Int32Array): Rule | undefined {
  const lits = new Array<number>(providers.length + 1);
  lits[0] = -p;
  let last = 0;
  for (let i = 0; i < providers.length; i++) {
    const q = providers[i];
    if (q <= last) return undefined;
    lits[i + 1] = last = q;
  }
  return { lits, type: 'requires', pkg: p, dep: undefined, order: lits };
}

/** A clause some package could satisfy. */
const isSatisfiable = (clause: ArrayLike<number>): boolean => clause.length > 0;
