/**
 * The solver's rules: jobs, and the CNF clauses of a package's requires, conflicts, obsoletes and same-name
 * exclusions, with rich dependencies normalized as libsolv's cplxdeps (`A if B` = A or not B; `A unless B` = A and
 * not B). Rules are made for every package reachable from the jobs, as libsolv does.
 */
import { formatDep, type Dep, type SimpleDep } from './dependency.ts';
import type { Pool } from './pool.ts';
import { PoolRules } from './pool-rules.ts';

export type Job =
  /** `incompatible`: packages the spec matched whose architecture cannot be installed (for the problem text). */
  | { kind: 'install'; spec: string; candidates: number[]; incompatible?: number[] }
  /** comps conditional package: install `name` when `trigger` is installed. */
  | { kind: 'conditional'; spec: string; providers: number[]; triggers: number[] };

export interface SolveOptions {
  /** Install Recommends and Supplements (dnf's install_weak_deps). */
  weakDeps: boolean;
}

export type RuleType = 'requires' | 'conflicts' | 'obsoletes' | 'samename' | 'job' | 'learnt';

/** A clause: at least one literal (+p installed, -p not installed) holds. */
export interface Rule {
  lits: number[];
  type: RuleType;
  /** The package the rule belongs to (requirer / conflicting / obsoleting), 0 for job rules. */
  pkg: number;
  dep?: Dep;
  /** Index of the job for job rules. */
  job?: number;
  /** libsolv rule order: pkg rules sorted by literals, job rules after them in job order. */
  order: number[];
}

/** A rule as text, for DEPSOLVE_DEBUG traces. */
export function ruleText(pool: Pool, r: Rule): string {
  const lits = r.lits.map((l) => `${l > 0 ? '' : '!'}${pool.nevra(Math.abs(l))}`).join(' | ');
  return `${r.type}${r.dep ? ` ${formatDep(r.dep)}` : ''}: ${lits}`;
}

function providers(pool: Pool, d: SimpleDep): number[] {
  return Array.from(pool.whatProvides(d));
}

/** Clauses (lists of literals) that a dependency imposes; [] = always true; [[]] = unsatisfiable. */
export function depCnf(pool: Pool, d: Dep, negate = false): number[][] {
  if (d.kind === 'simple') {
    const provs = providers(pool, d);
    if (!negate) return [provs];
    return provs.map((p) => [-p]);
  }
  const op = d.op;
  if (op === 'with' || op === 'without') {
    const ps = richProviders(pool, d);
    if (!negate) return [ps];
    return ps.map((p) => [-p]);
  }
  const A = (x: Dep, n: boolean) => depCnf(pool, x, n);
  const and = (x: number[][], y: number[][]) => [...x, ...y];
  const or = (x: number[][], y: number[][]): number[][] => {
    const out: number[][] = [];
    for (const a of x) for (const b of y) out.push([...a, ...b]);
    return out;
  };
  switch (op) {
    case 'and':
      return negate ? or(A(d.left, true), A(d.right, true)) : and(A(d.left, false), A(d.right, false));
    case 'or':
      return negate ? and(A(d.left, true), A(d.right, true)) : or(A(d.left, false), A(d.right, false));
    case 'if': {
      // (L if R) = L or not R;  (L if R else E) = (R and L) or (not R and E)
      if (!d.otherwise) return negate ? and(A(d.left, true), A(d.right, false)) : or(A(d.left, false), A(d.right, true));
      const e = d.otherwise;
      if (!negate) return and(or(A(d.right, true), A(d.left, false)), or(A(d.right, false), A(e, false)));
      return and(or(A(d.right, true), A(d.left, true)), or(A(d.right, false), A(e, true)));
    }
    case 'unless': {
      // (L unless R) = L and not R;  (L unless R else E) = (L and not R) or (E and R)
      if (!d.otherwise) return negate ? or(A(d.left, true), A(d.right, false)) : and(A(d.left, false), A(d.right, true));
      const e = d.otherwise;
      if (!negate) return and(or(A(d.left, false), A(d.right, false)), or(A(d.right, true), A(e, false)));
      return and(or(A(d.left, true), A(d.right, false)), or(A(d.right, true), A(e, true)));
    }
  }
  return [];
}

/** Providers of a `with`/`without` expression, or of a simple dep. */
export function richProviders(pool: Pool, d: Dep): number[] {
  if (d.kind === 'simple') return providers(pool, d);
  if (d.op === 'with' || d.op === 'without') {
    const a = richProviders(pool, d.left);
    const b = new Set(richProviders(pool, d.right));
    return a.filter((p) => (d.op === 'with' ? b.has(p) : !b.has(p)));
  }
  if (d.op === 'or') return [...new Set([...richProviders(pool, d.left), ...richProviders(pool, d.right)])].sort((x, y) => x - y);
  if (d.op === 'and') {
    const b = new Set(richProviders(pool, d.right));
    return richProviders(pool, d.left).filter((p) => b.has(p));
  }
  return richProviders(pool, d.left);
}

/** Drop duplicate literals and set libsolv's rule order; false for a tautology (a rule that is always true). */
export function normalizeRule(r: Rule): boolean {
  // Rules are short: a quadratic check beats a Set.
  let lits: number[] = [];
  if (r.lits.length > 16) {
    const seen = new Set<number>();
    for (let i = 0; i < r.lits.length; i++) {
      const l = r.lits[i];
      if (seen.has(-l)) return false;
      if (!seen.has(l)) seen.add(l);
    }
    lits = [...seen];
  } else {
    for (let i = 0; i < r.lits.length; i++) {
      const l = r.lits[i];
      let dup = false;
      for (let k = 0; k < lits.length; k++) {
        if (lits[k] === -l) return false;
        if (lits[k] === l) dup = true;
      }
      if (!dup) lits.push(l);
    }
  }
  r.lits = lits;
  // (Up to two literals the rule is its own order.)
  r.order = r.type === 'job' ? [] : lits.length <= 2 ? lits : [lits[0], ...lits.slice(1).sort((a, b) => a - b)];
  return true;
}

/** Makes the rules of packages as they become reachable, handing each (shared, pre-normalized) rule to the solver. */
export class RuleMaker {
  private readonly toMake: number[] = [];
  /** Packages marked in `made`, to clear them when the arrays are given back. */
  private readonly madeList: number[] = [];
  private readonly derived: PoolRules;

  constructor(
    private readonly pool: Pool,
    private readonly weakDeps: boolean,
    private readonly add: (r: Rule) => void,
    /** 1 = the package's rules were made (lent, cleared). */
    private readonly made: Uint8Array,
  ) {
    this.derived = PoolRules.of(pool);
  }

  /** Clear the marks this maker set in the lent array. */
  clear(): void {
    for (let i = 0; i < this.madeList.length; i++) this.made[this.madeList[i]] = 0;
  }

  /** A package some rule may install: its own rules are made on the next drain. */
  reach(p: number): void {
    if (!this.made[p]) this.toMake.push(p);
  }

  /** Make the rules of every package reachable from the rules made so far. */
  drain(): void {
    while (this.toMake.length) {
      const p = this.toMake.pop()!;
      if (this.made[p]) continue;
      this.made[p] = 1;
      this.madeList.push(p);
      // Indexed loops here and on the solver's paths: a cold process's interpreter allocates a result per for-of step.
      const rules = this.derived.rulesOf(p);
      for (let i = 0; i < rules.length; i++) this.add(rules[i]);
      // Weak dependencies may install these too: they need rules before that.
      if (this.weakDeps) {
        const groups = this.derived.recommendProviders(p);
        for (let g = 0; g < groups.length; g++) {
          const qs = groups[g];
          for (let i = 0; i < qs.length; i++) if (!this.made[qs[i]]) this.toMake.push(qs[i]);
        }
      }
    }
  }

  /** Packages that supplement something reachable may be installed as weak dependencies: add their rules. */
  addSupplementing(): void {
    if (!this.weakDeps) return;
    for (let changed = true; changed; ) {
      changed = false;
      const supplementing = this.pool.withSupplements();
      for (let i = 0; i < supplementing.length; i++) {
        const p = supplementing[i];
        if (this.made[p]) continue;
        const triggers = this.derived.supplementTriggers(p);
        let hit = false;
        for (let k = 0; k < triggers.length && !hit; k++) hit = this.made[triggers[k]] === 1;
        if (hit) {
          this.toMake.push(p);
          this.drain();
          changed = true;
        }
      }
    }
  }
}
