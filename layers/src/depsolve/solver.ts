/**
 * The SAT-style resolver. It follows libsolv's solver_run_sat as dnf 4 drives it (fresh install root, no installed
 * packages): job rules first, then unresolved requires in rule order (single choices before real choices), then weak
 * dependencies, then libsolv's auto-minimization of branches; candidates are ordered by libsolv's policy
 * (repository priority, best version per name, obsoleted candidates dropped, recommended candidates preferred, name
 * order). Rules are created lazily for packages that get installed; conflicts backtrack chronologically.
 */
import { formatDep, type Dep, type SimpleDep } from './dependency.ts';
import { compareEvr } from './rpm-version.ts';
import type { Pool } from './pool.ts';

export type Job =
  /** `incompatible`: packages the spec matched whose architecture cannot be installed (for the problem text). */
  | { kind: 'install'; spec: string; candidates: number[]; incompatible?: number[] }
  /** comps conditional package: install `name` when `trigger` is installed. */
  | { kind: 'conditional'; spec: string; providers: number[]; triggers: number[] };

export interface SolveOptions {
  weakDeps: boolean;
}

type RuleType = 'requires' | 'conflicts' | 'obsoletes' | 'samename' | 'job' | 'learnt';

interface Rule {
  lits: number[];
  type: RuleType;
  /** The package the rule belongs to (requirer / conflicting / obsoleting), 0 for job rules. */
  pkg: number;
  dep?: Dep;
  /** Index of the job for job rules. */
  job?: number;
  /** libsolv rule order: pkg rules sorted by literals, job rules after them in job order. */
  order: number[];
  inOrdered?: boolean;
}

export class UnsolvableError extends Error {
  constructor(readonly problems: string[]) {
    super(formatProblems(problems));
    this.name = 'UnsolvableError';
  }
}

export function formatProblems(problems: string[]): string {
  if (problems.length === 1) return `Problem: ${problems[0]}`;
  return problems.map((p, i) => `${i ? ' ' : ''}Problem ${i + 1}: ${p}`).join('\n');
}

interface Branch {
  level: number;
  /** Candidates in policy order; entries taken are negated (like libsolv's branch queue). */
  cands: number[];
  rule: Rule | undefined;
}

const REASON_NONE = 0;
/** DEPSOLVE_DEBUG=1 traces decisions, conflicts and learnt clauses on stderr. */
const DEBUG = !!process.env.DEPSOLVE_DEBUG;

export class Solver {
  private readonly pool: Pool;
  private readonly opts: SolveOptions;
  /** +level installed, -level not installed, 0 undecided. */
  private readonly decision: Int32Array;
  private readonly queue: number[] = [];
  private readonly queueLevelStart: number[] = [];
  private readonly reason: (Rule | undefined)[] = [];
  private level = 0;
  private readonly rules: Rule[] = [];
  /** Rules in libsolv order (pkg rules sorted, then job rules). */
  private readonly ordered: Rule[] = [];
  private readonly occurs = new Map<number, Rule[]>();
  private readonly rulesMade = new Uint8Array(0);
  private readonly made: Uint8Array;
  private branches: Branch[] = [];
  private jobs: Job[] = [];
  private propagateIndex = 0;
  private recommends: Set<number> | undefined;
  private recommendsIndex = 0;
  private readonly jobRules: Rule[] = [];

  constructor(pool: Pool, opts: SolveOptions) {
    this.pool = pool;
    this.opts = opts;
    this.decision = new Int32Array(pool.size);
    this.made = new Uint8Array(pool.size);
    void this.rulesMade;
    void REASON_NONE;
  }

  // ---------------------------------------------------------------- decisions

  private installed(p: number): boolean {
    return this.decision[p] > 0;
  }

  private litTrue(l: number): boolean {
    return l > 0 ? this.decision[l] > 0 : this.decision[-l] < 0;
  }
  private litFalse(l: number): boolean {
    return l > 0 ? this.decision[l] < 0 : this.decision[-l] > 0;
  }

  private assign(l: number, why: Rule | undefined): void {
    const p = Math.abs(l);
    if (DEBUG) this.log(`${why ? '  ' : 'decide '}${l > 0 ? '+' : '-'}${this.pool.nevra(p)} @${this.level}${why ? ` (${this.ruleText(why)})` : ''}`);
    this.decision[p] = l > 0 ? this.level : -this.level;
    this.queue.push(l);
    this.reason.push(why);
    if (l > 0) {
      // The installed package's requires become decision points, in libsolv's rule order.
      for (const r of this.reqRules.get(p) ?? []) this.insertOrdered(r);
    }
  }

  private insertOrdered(r: Rule): void {
    if (r.inOrdered) return;
    r.inOrdered = true;
    let lo = 0;
    let hi = this.ordered.length - this.jobRules.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOrder(this.ordered[mid].order, r.order) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.ordered.splice(lo, 0, r);
  }

  private newLevel(): void {
    this.level++;
    this.queueLevelStart[this.level] = this.queue.length;
  }

  /** Undo every decision above `level`. */
  private revert(level: number): void {
    while (this.level > level) {
      const start = this.queueLevelStart[this.level];
      while (this.queue.length > start) {
        const l = this.queue.pop()!;
        this.reason.pop();
        this.decision[Math.abs(l)] = 0;
      }
      this.level--;
    }
    this.propagateIndex = Math.min(this.propagateIndex, this.queue.length);
    // A branch's decision sits one level above the branch: it is gone when that level is.
    this.branches = this.branches.filter((b) => b.level < level);
    if (this.recommendsIndex > this.queue.length) {
      this.recommendsIndex = 0;
      this.recommends = undefined;
      this.suggests = new Set();
    }
  }

  /** Unit propagation; returns the conflicting rule, if any. */
  private propagate(): Rule | undefined {
    while (this.propagateIndex < this.queue.length) {
      const l = this.queue[this.propagateIndex++];
      const rs = this.occurs.get(Math.abs(l));
      if (!rs) continue;
      for (let k = 0; k < rs.length; k++) {
        const r = rs[k];
        const c = this.evalRule(r);
        if (c === undefined) continue;
        if (c === 0) return r;
        this.assign(c, r);
      }
    }
    return undefined;
  }

  /** undefined: satisfied or not unit; 0: conflict; else the unit literal to assign. */
  private evalRule(r: Rule): number | undefined {
    let unit = 0;
    let free = 0;
    for (const l of r.lits) {
      const d = this.decision[l > 0 ? l : -l];
      if (d === 0) {
        free++;
        unit = l;
        if (free > 1) return undefined;
      } else if ((l > 0) === (d > 0)) return undefined;
    }
    return free === 0 ? 0 : unit;
  }

  // ---------------------------------------------------------------- rules

  private addRule(r: Rule): void {
    // Drop duplicate literals and tautologies (rules are short: a quadratic check beats a Set).
    let lits: number[] = [];
    if (r.lits.length > 16) {
      const seen = new Set<number>();
      for (const l of r.lits) {
        if (seen.has(-l)) return;
        if (!seen.has(l)) seen.add(l);
      }
      lits = [...seen];
    } else for (const l of r.lits) {
      let dup = false;
      for (let k = 0; k < lits.length; k++) {
        if (lits[k] === -l) return;
        if (lits[k] === l) dup = true;
      }
      if (!dup) lits.push(l);
    }
    r.lits = lits;
    r.order = r.type === 'job' ? [] : [lits[0], ...lits.slice(1).sort((a, b) => a - b)];
    this.rules.push(r);
    for (const l of lits) {
      const p = Math.abs(l);
      let list = this.occurs.get(p);
      if (!list) this.occurs.set(p, (list = []));
      list.push(r);
    }
    if (r.type === 'job') this.ordered.push(r);
    else if (r.type === 'requires' && lits.length > 2) {
      let list = this.reqRules.get(r.pkg);
      if (!list) this.reqRules.set(r.pkg, (list = []));
      list.push(r);
      if (this.decision[r.pkg] > 0) this.insertOrdered(r);
    }
    // Every package a rule may install gets its own rules (libsolv adds rules for all reachable packages).
    for (const l of lits) if (l > 0 && !this.made[l]) this.toMake.push(l);
    this.pending.push(r);
  }

  private pending: Rule[] = [];
  private toMake: number[] = [];
  private readonly reqRules = new Map<number, Rule[]>();

  /** Create the rules of every package reachable from the rules made so far. */
  private drainMake(): void {
    while (this.toMake.length) {
      const p = this.toMake.pop()!;
      this.makeRules(p);
    }
  }

  /** Clauses (lists of literals) that a dependency imposes; [] = always true; [[]] = unsatisfiable. */
  private depCnf(d: Dep, negate = false): number[][] {
    if (d.kind === 'simple') {
      const provs = this.providers(d);
      if (!negate) return [provs];
      return provs.map((p) => [-p]);
    }
    const op = d.op;
    if (op === 'with' || op === 'without') {
      const ps = this.richProviders(d);
      if (!negate) return [ps];
      return ps.map((p) => [-p]);
    }
    const A = (x: Dep, n: boolean) => this.depCnf(x, n);
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
  private richProviders(d: Dep): number[] {
    if (d.kind === 'simple') return this.providers(d);
    if (d.op === 'with' || d.op === 'without') {
      const a = this.richProviders(d.left);
      const b = new Set(this.richProviders(d.right));
      return a.filter((p) => (d.op === 'with' ? b.has(p) : !b.has(p)));
    }
    if (d.op === 'or') return [...new Set([...this.richProviders(d.left), ...this.richProviders(d.right)])].sort((x, y) => x - y);
    if (d.op === 'and') {
      const b = new Set(this.richProviders(d.right));
      return this.richProviders(d.left).filter((p) => b.has(p));
    }
    return this.richProviders(d.left);
  }

  private providers(d: SimpleDep): number[] {
    return Array.from(this.pool.whatProvides(d));
  }

  /** Is a dependency satisfied by the installed set? */
  private depTrue(d: Dep): boolean {
    const cnf = this.depCnf(d);
    return cnf.every((clause) => clause.some((l) => this.litTrue(l)));
  }

  private makeRules(p: number): void {
    if (this.made[p]) return;
    this.made[p] = 1;
    const pool = this.pool;
    for (const d of pool.deps(p, 'requires')) {
      for (const clause of this.depCnf(d)) {
        if (clause.includes(p)) continue; // provided by itself
        this.addRule({ lits: [-p, ...clause], type: 'requires', pkg: p, dep: d, order: [] });
      }
    }
    for (const d of pool.deps(p, 'conflicts')) {
      for (const q of this.richProviders(d)) if (q !== p) this.addRule({ lits: [-p, -q], type: 'conflicts', pkg: p, dep: d, order: [] });
    }
    for (const d of pool.deps(p, 'obsoletes')) {
      if (d.kind !== 'simple') continue;
      for (const q of pool.whatNamed(d)) {
        if (q !== p && pool.name(q) !== pool.name(p)) this.addRule({ lits: [-p, -q], type: 'obsoletes', pkg: p, dep: d, order: [] });
      }
    }
    for (const q of pool.byName(pool.name(p))) {
      if (q !== p) this.addRule({ lits: [-Math.min(p, q), -Math.max(p, q)], type: 'samename', pkg: p, order: [] });
    }
    if (this.opts.weakDeps) {
      // Weak dependencies may install these too: they need rules before that.
      for (const d of pool.deps(p, 'recommends')) for (const q of this.richProviders(d)) if (!this.made[q]) this.toMake.push(q);
    }
  }

  /** Packages that supplement something reachable may be installed as weak dependencies: add their rules. */
  private addSupplementing(): void {
    if (!this.opts.weakDeps) return;
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of this.pool.withSupplements()) {
        if (this.made[p]) continue;
        const hit = this.pool.deps(p, 'supplements').some((d) => this.richProviders(d).some((q) => this.made[q]));
        if (hit) {
          this.toMake.push(p);
          this.drainMake();
          changed = true;
        }
      }
    }
  }

  // ---------------------------------------------------------------- policy

  private updateRecommends(): Set<number> {
    if (!this.recommends) {
      this.recommends = new Set();
      this.recommendsIndex = 0;
    }
    while (this.recommendsIndex < this.queue.length) {
      const l = this.queue[this.recommendsIndex++];
      if (l < 0) continue;
      for (const d of this.pool.deps(l, 'recommends')) {
        for (const q of this.richProviders(d)) this.recommends.add(q);
      }
      for (const d of this.pool.deps(l, 'suggests')) {
        for (const q of this.richProviders(d)) this.suggests.add(q);
      }
    }
    return this.recommends;
  }

  /** Packages suggested by the transaction (libsolv's suggestsmap, kept with the recommends map). */
  private suggests = new Set<number>();

  /** libsolv's prefer_suggested: suggested or enhancing candidates to the front, order otherwise kept. */
  private preferSuggested(list: number[]): number[] {
    this.updateRecommends();
    const good: number[] = [];
    const rest: number[] = [];
    for (const p of list) {
      const enhancing = this.pool.deps(p, 'enhances').some((d) => this.depTrue(d));
      (this.suggests.has(p) || enhancing ? good : rest).push(p);
    }
    return [...good, ...rest];
  }

  private supplementing(p: number): boolean {
    const sup = this.pool.deps(p, 'supplements');
    return sup.some((d) => this.depTrue(d));
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

  private filter(list: number[], mode: 'choose' | 'noreorder' | 'recommend'): number[] {
    const pool = this.pool;
    let l = list;
    if (l.length > 1) {
      let best = -Infinity;
      for (const p of l) best = Math.max(best, pool.repoOf(p).priority);
      l = l.filter((p) => pool.repoOf(p).priority === best);
    }
    if (l.length > 1) l = this.pruneToBestVersion(l);
    if (l.length > 1 && mode !== 'recommend') {
      const rec = this.updateRecommends();
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

  // ---------------------------------------------------------------- main loop

  /** Choose among candidates: open a branch when there is a choice, then install the first. */
  private selectAndInstall(cands: number[], rule: Rule | undefined, mode: 'choose' | 'recommend' = 'choose'): Rule | undefined {
    let dq = cands;
    if (dq.length > 1) dq = this.filter(dq, mode === 'choose' ? 'choose' : 'choose');
    if (DEBUG && cands.length > 1) this.log(`choose from [${cands.map((p) => this.pool.nevra(p)).join(' ')}] -> [${dq.map((p) => this.pool.nevra(p)).join(' ')}]${rule ? ` for ${this.ruleText(rule)}` : ''}`);
    const level = this.level;
    this.newLevel();
    if (dq.length > 1) this.branches.push({ level, cands: [-dq[0], ...dq.slice(1)], rule });
    this.assign(dq[0], undefined); // a decision: no reason rule
    return this.propagate();
  }

  /**
   * Conflict-driven backjumping as libsolv's analyze(): learn the first-UIP clause of the conflict, jump back to the
   * second-highest level in it and assert the UIP's negation there. False when the conflict is at the assertion level
   * (unsolvable).
   */
  private backtrack(conflict: Rule): boolean {
    let c: Rule | undefined = conflict;
    while (c) {
      let maxLvl = 0;
      for (const l of c.lits) maxLvl = Math.max(maxLvl, Math.abs(this.decision[Math.abs(l)]));
      if (maxLvl <= 1) return false;
      if (maxLvl < this.level) this.revert(maxLvl);
      if (DEBUG) this.log(`conflict @${this.level}: ${this.ruleText(c)}`);
      const learnt = this.analyze(c);
      let jump = 1;
      for (let i = 1; i < learnt.length; i++) jump = Math.max(jump, Math.abs(this.decision[Math.abs(learnt[i])]));
      if (DEBUG) this.log(`learnt [${learnt.map((l) => `${l > 0 ? '+' : '-'}${this.pool.nevra(Math.abs(l))}`).join(' ')}] -> level ${jump}`);
      this.revert(jump);
      const r: Rule = { lits: learnt, type: 'learnt', pkg: 0, order: [] };
      for (const l of learnt) {
        const v = Math.abs(l);
        let list = this.occurs.get(v);
        if (!list) this.occurs.set(v, (list = []));
        list.push(r);
      }
      this.assign(learnt[0], r);
      c = this.propagate();
    }
    return true;
  }

  private analyze(conflict: Rule): number[] {
    const seen = new Set<number>();
    const learnt: number[] = [];
    let count = 0;
    let idx = this.queue.length - 1;
    let rule: Rule | undefined = conflict;
    let skip = 0;
    for (;;) {
      for (const l of rule!.lits) {
        const v = Math.abs(l);
        if (v === skip || seen.has(v)) continue;
        seen.add(v);
        const lvl = Math.abs(this.decision[v]);
        if (lvl === this.level) count++;
        else if (lvl > 1) learnt.push(l);
      }
      let l: number;
      for (;;) {
        l = this.queue[idx--];
        if (seen.has(Math.abs(l))) break;
      }
      count--;
      rule = this.reason[idx + 1];
      if (count <= 0 || !rule) {
        learnt.unshift(-l);
        return learnt;
      }
      skip = Math.abs(l);
    }
  }

  solve(jobs: Job[]): number[] {
    this.jobs = jobs;
    this.level = 0;
    this.newLevel(); // level 1: assertions
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      let lits: number[][];
      if (job.kind === 'install') lits = [job.candidates];
      else lits = job.triggers.map((t) => [...job.providers, -t]);
      for (const ls of lits) {
        const r: Rule = { lits: ls, type: 'job', job: j, pkg: 0, order: [] };
        this.jobRules.push(r);
        this.addRule(r);
      }
    }
    this.drainMake();
    this.addSupplementing();
    if (this.initialPropagate()) throw this.unsolvable();

    let minimizations = 0;
    for (;;) {
      if (this.resolveJobRules()) continue;
      const dr = this.resolveDependencies();
      if (dr === 'changed') continue;
      if (this.opts.weakDeps) {
        const w = this.resolveWeak();
        if (w) continue;
      }
      if (minimizations < 1000 && this.minimize()) {
        minimizations++;
        continue;
      }
      break;
    }
    const out: number[] = [];
    for (const l of this.queue) if (l > 0) out.push(l);
    return out;
  }

  private initialPropagate(): boolean {
    // Evaluate every rule once; assertions (unit job rules) are decided at level 1.
    for (;;) {
      this.drainMake();
      const rs = this.pending;
      this.pending = [];
      for (const r of rs) {
        const c = this.evalRule(r);
        if (c === 0) return true;
        if (c !== undefined) this.assign(c, r);
      }
      if (this.propagate()) return true;
      if (!this.pending.length) return false;
    }
  }

  /** Evaluate newly created rules (they may already be unit or false). */
  private flushPending(): Rule | undefined {
    this.drainMake();
    while (this.pending.length) {
      this.drainMake();
      const rs = this.pending;
      this.pending = [];
      for (const r of rs) {
        const c = this.evalRule(r);
        if (c === 0) return r;
        if (c !== undefined) this.assign(c, r);
      }
      const c = this.propagate();
      if (c) return c;
    }
    return undefined;
  }

  private decide(cands: number[], rule: Rule | undefined): void {
    let c = this.selectAndInstall(cands, rule);
    if (!c) c = this.flushPending();
    if (c && !this.backtrack(c)) throw this.unsolvable();
  }

  /** Returns true when something was decided (the main loop restarts). */
  private resolveJobRules(): boolean {
    let changed = false;
    for (const r of this.jobRules) {
      // As libsolv: a conditional job waits until its trigger is installed; a satisfied job is done.
      if (r.lits.some((l) => (l < 0 ? this.decision[-l] <= 0 : this.decision[l] > 0))) continue;
      const cands = r.lits.filter((l) => l > 0 && this.decision[l] === 0);
      if (!cands.length) {
        if (!this.backtrack(r)) throw this.unsolvable();
        return true;
      }
      const before = this.level;
      this.decide(cands, r);
      changed = true;
      // After a backjump libsolv starts over from the first job rule.
      if (this.level <= before) return true;
    }
    return changed;
  }

  private resolveDependencies(): 'changed' | 'done' {
    const origLevel = this.level;
    let postponed: Rule | undefined | null = undefined; // undefined: none yet; null: second pass
    let i = 0;
    let n = 0;
    let changed = false;
    for (;;) {
      const total = this.ordered.length;
      if (n >= total) {
        if (!postponed) break;
        i = this.ordered.indexOf(postponed);
        postponed = null;
        n = 0;
      }
      if (i >= total) i = 0;
      const r = this.ordered[i];
      n++;
      const dq = this.unresolved(r);
      if (!dq) {
        i++;
        continue;
      }
      const cands = dq;
      if (cands.length > 1 && postponed !== null) {
        const f = this.filter(cands, 'noreorder');
        if (f.length > 1) {
          if (!postponed) postponed = r;
          i++;
          continue;
        }
      }
      this.decide(cands, r);
      changed = true;
      // Only a backjump below the level this pass started at sends libsolv back to the main loop; otherwise it
      // goes on scanning after the rule just handled.
      if (this.level < origLevel) return 'changed';
      n = 0;
      // libsolv continues with the rule after the one just decided.
      const at = this.ordered.indexOf(r);
      i = at + 1;
    }
    return changed ? 'changed' : 'done';
  }

  /** The undecided positive literals of a rule that is a decision point, or undefined. */
  private unresolved(r: Rule): number[] | undefined {
    const dq: number[] = [];
    for (const l of r.lits) {
      if (l < 0) {
        if (this.decision[-l] <= 0) return undefined;
      } else {
        const d = this.decision[l];
        if (d > 0) return undefined;
        if (d === 0) dq.push(l);
      }
    }
    return dq.length ? dq : undefined;
  }

  /** Recommends and Supplements; true when something was installed (or undone) and the loop must rerun. */
  private resolveWeak(): boolean {
    const pool = this.pool;
    const dq: number[] = [];
    const inDq = new Set<number>();
    const push = (p: number) => {
      if (!inDq.has(p)) {
        inDq.add(p);
        dq.push(p);
      }
    };
    const installedSorted = this.queue.filter((l) => l > 0).sort((a, b) => a - b);
    const recCands = (d: Dep): number[] | undefined => {
      const ps = this.weakProviders(d);
      if (ps.some((q) => this.installed(q))) return undefined;
      return ps.filter((q) => this.decision[q] === 0);
    };
    // libsolv walks solvables in id order: installed ones contribute recommends, others may be supplementing.
    const sup: number[] = [];
    for (const p of installedSorted) {
      for (const d of pool.deps(p, 'recommends')) for (const q of recCands(d) ?? []) push(q);
    }
    for (const p of pool.withSupplements()) {
      if (this.decision[p] !== 0) continue;
      if (this.supplementing(p)) sup.push(p);
    }
    const dqs = sup;
    for (const p of dqs) push(p);
    if (!dq.length) return false;
    // Order of the combined queue: libsolv builds it in solvable id order.
    if (dq.length === 1) {
      this.weakInstall(dq[0]);
      return true;
    }
    const best = new Set(this.filter(dq, 'recommend'));
    // As libsolv's resolve_weak: all supplemented packages, then the recommends of the packages decided so far, in
    // one pass; a conflict (which undoes decisions) ends the pass.
    const decisionCount = this.queue.length;
    for (const p of dqs.filter((p) => best.has(p))) {
      if (this.decision[p] !== 0) continue;
      if (!this.weakInstall(p) || this.queue.length < decisionCount) return true;
    }
    for (let i = 0; i < decisionCount && i < this.queue.length; i++) {
      const s = this.queue[i];
      if (s < 0) continue;
      for (const d of pool.deps(s, 'recommends')) {
        const ps = this.weakProviders(d);
        if (ps.some((q) => this.installed(q))) continue;
        let cands = ps.filter((q) => this.decision[q] === 0 && best.has(q));
        if (!cands.length) continue;
        if (cands.length > 1) cands = this.filter(cands, 'choose');
        if (!this.weakInstall(cands[0], cands.length > 1 ? cands : undefined) || this.queue.length < decisionCount) return true;
      }
    }
    return true;
  }

  private weakProviders(d: Dep): number[] {
    if (d.kind === 'simple') return this.providers(d);
    // A rich Recommends: the packages of its first alternative that is not yet satisfied.
    return this.richProviders(d);
  }

  /** Install a weak dependency; on conflict it is dropped (libsolv learns it cannot be installed): false then. */
  private weakInstall(p: number, cands?: number[]): boolean {
    const level = this.level;
    this.newLevel();
    if (cands && cands.length > 1) this.branches.push({ level, cands: [-cands[0], ...cands.slice(1)], rule: undefined });
    this.assign(p, undefined);
    let c = this.propagate();
    if (!c) c = this.flushPending();
    if (!c) return true;
    if (!this.backtrack(c)) throw this.unsolvable();
    return false;
  }

  /** libsolv's auto-minimization: prefer a branch alternative that got installed anyway, or a recommended one. */
  private minimize(): boolean {
    if (!this.branches.length) return false;
    const rec = this.updateRecommends();
    let take: { b: Branch; i: number } | undefined;
    for (let bi = this.branches.length - 1; bi >= 0; bi--) {
      const b = this.branches[bi];
      const l = b.level;
      let lastsi = -1;
      let found = false;
      for (let i = 0; i < b.cands.length; i++) {
        const p = b.cands[i];
        if (p <= 0) continue;
        if (this.decision[p] > l) {
          take = { b, i };
          found = true;
          break;
        }
        if (lastsi < 0 && (rec.has(p) || this.supplementing(p))) lastsi = i;
      }
      if (!found && lastsi >= 0) {
        for (const c of b.cands) {
          const p = -c;
          if (p <= 0 || this.decision[p] !== l + 1) continue;
          if (!(rec.has(p) || this.supplementing(p))) {
            take = { b, i: lastsi };
            break;
          }
        }
      }
    }
    if (!take) return false;
    const { b, i } = take;
    const p = b.cands[i];
    b.cands[i] = -p;
    this.revert(b.level);
    this.newLevel();
    this.branches.push(b);
    this.assign(p, undefined);
    let c = this.propagate();
    if (!c) c = this.flushPending();
    if (c && !this.backtrack(c)) throw this.unsolvable();
    return true;
  }

  private log(msg: string): void {
    process.stderr.write(`[depsolve] ${msg}\n`);
  }

  private ruleText(r: Rule): string {
    const lits = r.lits.map((l) => `${l > 0 ? '' : '!'}${this.pool.nevra(Math.abs(l))}`).join(' | ');
    return `${r.type}${r.dep ? ` ${formatDep(r.dep)}` : ''}: ${lits}`;
  }

  // ---------------------------------------------------------------- problems

  private unsolvable(): UnsolvableError {
    return new UnsolvableError(explainProblems(this.pool, this.jobs));
  }
}

function compareOrder(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Explain why jobs cannot be satisfied, in dnf's words and order. libsolv lists the rule that failed first, then the
 * rules that forced its literals: for a requested package that needs something missing, "conflicting requests" (the
 * job rule failed) then "nothing provides ..."; for one whose dependency cannot be installed, the requires rule, then
 * "conflicting requests", then why the providers cannot be installed; for two requests in conflict, the conflict rule
 * then "conflicting requests".
 */
export function explainProblems(pool: Pool, jobs: Job[]): string[] {
  const problems: string[] = [];
  const requested = new Set<number>();
  for (const job of jobs) if (job.kind === 'install' && job.candidates.length === 1) requested.add(job.candidates[0]);
  const memo = new Map<number, string[] | null>();

  /** Why p cannot be installed on its own (null when it can), as rule texts in libsolv's order. */
  const whyNot = (p: number, stack: Set<number>): string[] | null => {
    if (memo.has(p)) return memo.get(p)!;
    if (stack.has(p)) return null;
    stack.add(p);
    const lines: string[] = [];
    for (const d of pool.deps(p, 'requires')) {
      if (d.kind !== 'simple') continue;
      const provs = Array.from(pool.whatProvides(d));
      if (provs.includes(p)) continue;
      if (!provs.length) {
        lines.push(`nothing provides ${formatDep(d)} needed by ${pool.nevra(p)}`);
        continue;
      }
      const subs = provs.map((q) => whyNot(q, stack));
      if (subs.every((x) => x !== null)) {
        lines.push(`package ${pool.nevra(p)} requires ${formatDep(d)}, but none of the providers can be installed`);
        for (const x of subs) lines.push(...x!);
      }
    }
    stack.delete(p);
    const res = lines.length ? lines : null;
    memo.set(p, res);
    return res;
  };

  const conflictWith = (p: number): string[] => {
    const lines: string[] = [];
    for (const q of requested) {
      if (q === p) continue;
      for (const d of pool.deps(p, 'conflicts')) {
        if (d.kind === 'simple' && Array.from(pool.whatProvides(d)).includes(q)) {
          lines.push(`package ${pool.nevra(p)} conflicts with ${formatDep(d)} provided by ${pool.nevra(q)}`);
        }
      }
      for (const d of pool.deps(q, 'conflicts')) {
        if (d.kind === 'simple' && Array.from(pool.whatProvides(d)).includes(p) && q < p) {
          lines.push(`package ${pool.nevra(q)} conflicts with ${formatDep(d)} provided by ${pool.nevra(p)}`);
        }
      }
    }
    return lines;
  };

  const reported = new Set<string>();
  for (const job of jobs) {
    if (job.kind !== 'install') continue;
    const lines: string[] = [];
    let failing = true;
    if (!job.candidates.length) {
      lines.push('conflicting requests', ...(job.incompatible ?? []).map((p) => `package ${pool.nevra(p)} does not have a compatible architecture`));
    }
    for (const c of job.candidates) {
      const why = whyNot(c, new Set());
      const conf = conflictWith(c);
      if (!why && !conf.length) {
        failing = false;
        break;
      }
      if (conf.length) {
        lines.push(...conf, 'conflicting requests');
        continue;
      }
      // Split: the candidate's own "nothing provides" come after the job rule; a failed requires comes before it.
      const direct = why!.filter((l) => l.startsWith('nothing provides') && l.endsWith(`needed by ${pool.nevra(c)}`));
      const rest = why!.filter((l) => !direct.includes(l));
      if (rest.length && rest[0].startsWith(`package ${pool.nevra(c)} requires`)) lines.push(rest[0], 'conflicting requests', ...direct, ...rest.slice(1));
      else lines.push('conflicting requests', ...direct, ...rest);
    }
    if (!failing || !lines.length) continue;
    const uniq = [...new Set(lines)];
    const text = uniq.join('\n  - ');
    if (reported.has(text)) continue;
    reported.add(text);
    problems.push(text);
  }
  if (!problems.length) problems.push('conflicting requests');
  return problems;
}
