/**
 * The SAT-style resolver. It follows libsolv's solver_run_sat as dnf 4 drives it (fresh install root, no installed
 * packages): job rules first, then unresolved requires in rule order (single choices before real choices), then weak
 * dependencies, then libsolv's auto-minimization of branches; candidates are ordered by libsolv's policy
 * (solver-policy.ts). Rules are created lazily for packages that become reachable (solver-rules.ts); conflicts are
 * learnt first-UIP and backjumped.
 */
import type { Pool } from './pool.ts';
import { UnsolvableError, explainProblems } from './problems.ts';
import { CandidatePolicy } from './solver-policy.ts';
import { firstUip } from './conflict-analysis.ts';
import { RuleStore } from './rule-store.ts';
import { SolverScratch } from './solver-scratch.ts';
import { PoolRules } from './pool-rules.ts';
import { RuleMaker, ruleText, type Job, type Rule, type SolveOptions } from './solver-rules.ts';
import { trace, tracing } from './solver-trace.ts';

export { UnsolvableError } from './problems.ts';
export type { Job, SolveOptions } from './solver-rules.ts';
export { setSolverTrace } from './solver-trace.ts';

interface Branch {
  level: number;
  /** Candidates in policy order; entries taken are negated (like libsolv's branch queue). */
  cands: number[];
  rule: Rule | undefined;
}


export class Solver {
  private readonly pool: Pool;
  private readonly opts: SolveOptions;
  /** +level installed, -level not installed, 0 undecided. */
  private readonly decision: Int32Array;
  private readonly queue: number[] = [];
  private readonly queueLevelStart: number[] = [];
  private readonly reason: (Rule | undefined)[] = [];
  private level = 0;
  private branches: Branch[] = [];
  private jobs: Job[] = [];
  private propagateIndex = 0;
  private readonly rules: RuleStore;
  private readonly maker: RuleMaker;
  private readonly policy: CandidatePolicy;
  private readonly derived: PoolRules;
  private readonly scratch: SolverScratch;

  constructor(pool: Pool, opts: SolveOptions) {
    this.pool = pool;
    this.opts = opts;
    this.derived = PoolRules.of(pool);
    this.scratch = SolverScratch.borrow(pool);
    this.decision = this.scratch.decision;
    this.maker = new RuleMaker(pool, opts.weakDeps, (r) => this.rules.addNormalized(r), this.scratch.made);
    this.rules = new RuleStore(this.scratch, this.maker);
    this.policy = new CandidatePolicy(pool, this.decision, this.queue);
  }

  // ---------------------------------------------------------------- decisions

  private installed(p: number): boolean {
    return this.decision[p] > 0;
  }

  private assign(l: number, why: Rule | undefined): void {
    const p = Math.abs(l);
    if (tracing()) trace(`${why ? '  ' : 'decide '}${l > 0 ? '+' : '-'}${this.pool.nevra(p)} @${this.level}${why ? ` (${ruleText(this.pool, why)})` : ''}`);
    this.decision[p] = l > 0 ? this.level : -this.level;
    this.queue.push(l);
    this.reason.push(why);
    if (l > 0) {
      // The installed package's requires become decision points, in libsolv's rule order.
      this.rules.installedPackage(p);
    }
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
    this.policy.undone(this.queue.length);
  }

  /** Unit propagation; returns the conflicting rule, if any. */
  private propagate(): Rule | undefined {
    while (this.propagateIndex < this.queue.length) {
      const l = this.queue[this.propagateIndex++];
      const rules = this.rules;
      for (let e = rules.firstFalsified(l); e !== 0; e = rules.nextEntry(e)) {
        const r = rules.ruleOf(e);
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
    const lits = r.lits;
    for (let i = 0; i < lits.length; i++) {
      const l = lits[i];
      const d = this.decision[l > 0 ? l : -l];
      if (d === 0) {
        free++;
        unit = l;
        if (free > 1) return undefined;
      } else if ((l > 0) === (d > 0)) return undefined;
    }
    return free === 0 ? 0 : unit;
  }

  // ---------------------------------------------------------------- main loop

  /** Choose among candidates: open a branch when there is a choice, then install the first. */
  private selectAndInstall(cands: number[], rule: Rule | undefined): Rule | undefined {
    let dq = cands;
    if (dq.length > 1) dq = this.policy.filter(dq, 'choose');
    if (tracing() && cands.length > 1) trace(`choose from [${cands.map((p) => this.pool.nevra(p)).join(' ')}] -> [${dq.map((p) => this.pool.nevra(p)).join(' ')}]${rule ? ` for ${ruleText(this.pool, rule)}` : ''}`);
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
      if (tracing()) trace(`conflict @${this.level}: ${ruleText(this.pool, c)}`);
      const learnt = firstUip(c, this.decision, this.queue, this.reason, this.level);
      let jump = 1;
      for (let i = 1; i < learnt.length; i++) jump = Math.max(jump, Math.abs(this.decision[Math.abs(learnt[i])]));
      if (tracing()) trace(`learnt [${learnt.map((l) => `${l > 0 ? '+' : '-'}${this.pool.nevra(Math.abs(l))}`).join(' ')}] -> level ${jump}`);
      this.revert(jump);
      const r: Rule = { lits: learnt, type: 'learnt', pkg: 0, order: [] };
      this.rules.addLearnt(r);
      this.assign(learnt[0], r);
      c = this.propagate();
    }
    return true;
  }

  /** Solve once (a Solver is used for one solve: its arrays are given back to the pool at the end). */
  solve(jobs: Job[]): number[] {
    try {
      return this.run(jobs);
    } finally {
      for (let i = 0; i < this.queue.length; i++) this.decision[Math.abs(this.queue[i])] = 0;
      this.rules.clear();
      this.maker.clear();
      this.scratch.giveBack();
    }
  }

  private run(jobs: Job[]): number[] {
    this.jobs = jobs;
    this.level = 0;
    this.newLevel(); // level 1: assertions
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      let lits: number[][];
      if (job.kind === 'install') lits = [job.candidates];
      else lits = job.triggers.map((t) => [...job.providers, -t]);
      for (const ls of lits) {
        this.rules.add({ lits: ls, type: 'job', job: j, pkg: 0, order: [] });
      }
    }
    this.maker.drain();
    this.maker.addSupplementing();
    // Evaluate every rule once; assertions (unit job rules) are decided at level 1.
    if (this.flushPending()) throw this.unsolvable();

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
    for (let i = 0; i < this.queue.length; i++) if (this.queue[i] > 0) out.push(this.queue[i]);
    return out;
  }

  /** Evaluate newly created rules (they may already be unit or false). */
  private flushPending(): Rule | undefined {
    this.maker.drain();
    while (this.rules.hasPending()) {
      this.maker.drain();
      const rs = this.rules.takePending();
      for (let i = 0; i < rs.length; i++) {
        const r = rs[i];
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
    for (const r of this.rules.jobRules) {
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
      const total = this.rules.ordered.length;
      if (n >= total) {
        if (!postponed) break;
        i = this.rules.ordered.indexOf(postponed);
        postponed = null;
        n = 0;
      }
      if (i >= total) i = 0;
      const r = this.rules.ordered[i];
      n++;
      const dq = this.unresolved(r);
      if (!dq) {
        i++;
        continue;
      }
      const cands = dq;
      if (cands.length > 1 && postponed !== null) {
        const f = this.policy.filter(cands, 'noreorder');
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
      const at = this.rules.ordered.indexOf(r);
      i = at + 1;
    }
    return changed ? 'changed' : 'done';
  }

  /** The undecided positive literals of a rule that is a decision point, or undefined. */
  private unresolved(r: Rule): number[] | undefined {
    const lits = r.lits;
    let open = 0;
    for (let i = 0; i < lits.length; i++) {
      const l = lits[i];
      if (l < 0) {
        if (this.decision[-l] <= 0) return undefined;
      } else {
        const d = this.decision[l];
        if (d > 0) return undefined;
        if (d === 0) open++;
      }
    }
    if (!open) return undefined;
    const dq: number[] = [];
    for (let i = 0; i < lits.length; i++) if (lits[i] > 0 && this.decision[lits[i]] === 0) dq.push(lits[i]);
    return dq;
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
    const installedSorted = Int32Array.from(this.queue.filter((l) => l > 0)).sort();
    // libsolv walks solvables in id order: installed ones contribute recommends, others may be supplementing.
    const sup: number[] = [];
    for (let i = 0; i < installedSorted.length; i++) {
      const groups = this.derived.recommendProviders(installedSorted[i]);
      for (let k = 0; k < groups.length; k++) {
        const ps = groups[k];
        if (this.anyInstalled(ps)) continue;
        for (let m = 0; m < ps.length; m++) if (this.decision[ps[m]] === 0) push(ps[m]);
      }
    }
    for (const p of this.derived.supplementing()) {
      if (this.decision[p] !== 0) continue;
      if (this.policy.supplementing(p)) sup.push(p);
    }
    for (const p of sup) push(p);
    if (!dq.length) return false;
    // Order of the combined queue: libsolv builds it in solvable id order.
    if (dq.length === 1) {
      this.weakInstall(dq[0]);
      return true;
    }
    const best = new Set(this.policy.filter(dq, 'recommend'));
    // As libsolv's resolve_weak: all supplemented packages, then the recommends of the packages decided so far, in
    // one pass; a conflict (which undoes decisions) ends the pass.
    const decisionCount = this.queue.length;
    for (const p of sup.filter((p) => best.has(p))) {
      if (this.decision[p] !== 0) continue;
      if (!this.weakInstall(p) || this.queue.length < decisionCount) return true;
    }
    for (let i = 0; i < decisionCount && i < this.queue.length; i++) {
      const s = this.queue[i];
      if (s < 0) continue;
      const groups = this.derived.recommendProviders(s);
      for (let k = 0; k < groups.length; k++) {
        const ps = groups[k];
        if (this.anyInstalled(ps)) continue;
        let cands: number[] = [];
        for (let m = 0; m < ps.length; m++) if (this.decision[ps[m]] === 0 && best.has(ps[m])) cands.push(ps[m]);
        if (!cands.length) continue;
        if (cands.length > 1) cands = this.policy.filter(cands, 'choose');
        if (!this.weakInstall(cands[0], cands.length > 1 ? cands : undefined) || this.queue.length < decisionCount) return true;
      }
    }
    return true;
  }

  private anyInstalled(ps: ArrayLike<number>): boolean {
    for (let i = 0; i < ps.length; i++) if (this.decision[ps[i]] > 0) return true;
    return false;
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
    const rec = this.policy.recommended();
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
        if (lastsi < 0 && (rec.has(p) || this.policy.supplementing(p))) lastsi = i;
      }
      if (!found && lastsi >= 0) {
        for (const c of b.cands) {
          const p = -c;
          if (p <= 0 || this.decision[p] !== l + 1) continue;
          if (!(rec.has(p) || this.policy.supplementing(p))) {
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

  private unsolvable(): UnsolvableError {
    return new UnsolvableError(explainProblems(this.pool, this.jobs));
  }
}
