/**
 * libsolv's candidate policy: among packages that could satisfy a rule, keep the highest repository priority and the
 * best version per name, drop candidates obsoleted by another candidate, prefer those the transaction recommends or
 * that supplement it, then name order; for a real choice, older versions to the back and suggested (or enhancing)
 * candidates to the front (libsolv's `sort_by_common_dep` reordering by versioned common Provides is not done).
 */
import type { Dep } from './dependency.ts';
import type { Pool } from './pool.ts';
import { compareEvr } from './rpm-version.ts';
import { PoolRules } from './pool-rules.ts';

export type PolicyMode = 'choose' | 'noreorder' | 'recommend';

/** Orders candidates; reads the solver's decisions (+level installed, -level not) and its decision queue. */
export class CandidatePolicy {
  /** Packages recommended by installed packages, kept up to date along the decision queue. */
  private recommends: Set<number> | undefined;
  private recommendsIndex = 0;
  /** Packages suggested by the transaction (libsolv's suggestsmap, kept with the recommends map). */
  private suggests = new Set<number>();
  private readonly derived: PoolRules;

  constructor(
    private readonly pool: Pool,
    private readonly decision: Int32Array,
    private readonly queue: readonly number[],
  ) {
    this.derived = PoolRules.of(pool);
  }

  /** Decisions after `queueLength` were undone: the recommends map is rebuilt when next needed. */
  undone(queueLength: number): void {
    if (this.recommendsIndex > queueLength) {
      this.recommendsIndex = 0;
      this.recommends = undefined;
      this.suggests = new Set();
    }
  }

  /** Packages recommended by the installed ones, brought up to date with the decisions made so far. */
  recommended(): Set<number> {
    if (!this.recommends) {
      this.recommends = new Set();
      this.recommendsIndex = 0;
    }
    while (this.recommendsIndex < this.queue.length) {
      const l = this.queue[this.recommendsIndex++];
      if (l < 0) continue;
      const groups = this.derived.recommendProviders(l);
      for (let g = 0; g < groups.length; g++) {
        const qs = groups[g];
        for (let i = 0; i < qs.length; i++) this.recommends.add(qs[i]);
      }
      for (const d of this.pool.deps(l, 'suggests')) {
        for (const q of this.derived.providers(d)) this.suggests.add(q);
      }
    }
    return this.recommends;
  }

  /** libsolv's prefer_suggested: suggested or enhancing candidates to the front, order otherwise kept. */
  private preferSuggested(list: number[]): number[] {
    this.recommended();
    const good: number[] = [];
    const rest: number[] = [];
    for (const p of list) {
      const enhancing = this.pool.deps(p, 'enhances').some((d) => this.depTrue(d));
      (this.suggests.has(p) || enhancing ? good : rest).push(p);
    }
    return [...good, ...rest];
  }

  supplementing(p: number): boolean {
    if (!this.derived.maySupplement(p)) return false;
    return this.derived.anySupplement(p, this.clauseTrue);
  }

  private pruneToBestVersion(list: number[]): number[] {
    const pool = this.pool;
    const sorted = [...list].sort((a, b) => {
      const na = pool.name(a);
      const nb = pool.name(b);
      if (na !== nb) return na < nb ? -1 : 1;
      const r = pool.repoOf(b).subpriority - pool.repoOf(a).subpriority;
      if (r) return r;
      return a - b;
    });
    const out: number[] = [];
    let best = 0;
    for (const p of sorted) {
      if (!best) {
        best = p;
        continue;
      }
      if (pool.name(best) !== pool.name(p)) {
        out.push(best);
        best = p;
        continue;
      }
      if (compareEvr(pool.evr(best), pool.evr(p)) < 0) best = p;
    }
    if (best) out.push(best);
    return out.length > 1 ? this.pruneObsoleted(out) : out;
  }

  private obsoletesPkg(s: number, other: number): boolean {
    const pool = this.pool;
    if (pool.name(s) === pool.name(other)) return false;
    for (const d of pool.deps(s, 'obsoletes')) {
      if (d.kind === 'simple' && d.name === pool.name(other) && pool.whatNamed(d).includes(other)) return true;
    }
    return false;
  }

  private pruneObsoleted(list: number[]): number[] {
    const obsoleted = new Set<number>();
    for (const s of list) {
      for (const o of list) {
        if (s !== o && this.obsoletesPkg(s, o) && !this.obsoletesPkg(o, s)) obsoleted.add(o);
      }
    }
    if (!obsoleted.size) return list;
    const out = list.filter((p) => !obsoleted.has(p));
    return out.length ? out : list;
  }

  filter(list: number[], mode: 'choose' | 'noreorder' | 'recommend'): number[] {
    const pool = this.pool;
    let l = list;
    if (l.length > 1) {
      let best = -Infinity;
      for (const p of l) best = Math.max(best, pool.repoOf(p).priority);
      l = l.filter((p) => pool.repoOf(p).priority === best);
    }
    if (l.length > 1) l = this.pruneToBestVersion(l);
    if (l.length > 1 && mode !== 'recommend') {
      const rec = this.recommended();
      const kept = l.filter((p) => rec.has(p) || this.supplementing(p));
      if (kept.length) l = kept;
      if (l.length > 1 && mode === 'choose') l = this.preferSuggested(this.dislikeOldVersions(l));
    }
    return l;
  }

  /** Move candidates that have a newer same-name same-arch version in the pool to the back. */
  private dislikeOldVersions(list: number[]): number[] {
    const pool = this.pool;
    const good: number[] = [];
    const bad: number[] = [];
    for (const p of list) {
      const name = pool.name(p);
      const arch = pool.arch(p);
      const prio = pool.repoOf(p).priority;
      const older = pool.byName(name).some((q) => {
        if (q === p || pool.arch(q) !== arch) return false;
        const qp = pool.repoOf(q).priority;
        if (qp !== prio) return qp > prio;
        return compareEvr(pool.evr(q), pool.evr(p)) > 0;
      });
      (older ? bad : good).push(p);
    }
    return [...good, ...bad];
  }

  /** Is a dependency satisfied by the installed set? */
  private depTrue(d: Dep): boolean {
    return this.derived.cnf(d).every(this.clauseTrue);
  }

  /** Is a clause satisfied by the installed set (one of its literals true)? */
  private readonly clauseTrue = (clause: ArrayLike<number>): boolean => {
    for (let i = 0; i < clause.length; i++) {
      const l = clause[i];
      if (l > 0 ? this.decision[l] > 0 : this.decision[-l] < 0) return true;
    }
    return false;
  };
}
