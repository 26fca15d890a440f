/**
 * Where the solver keeps its rules: by the packages they mention (for unit propagation), the requires rules with a
 * real choice in libsolv's rule order once their package is installed (the decision points), job rules last, and the
 * rules made since the solver last evaluated them.
 */
import { normalizeRule, type Rule } from './solver-rules.ts';

export class RuleStore {
  /** Decision points in libsolv order: package rules sorted by literals, then job rules in job order. */
  readonly ordered: Rule[] = [];
  readonly jobRules: Rule[] = [];
  private readonly occurs = new Map<number, Rule[]>();
  /** Requires rules with a real choice, by requiring package: decision points once it is installed. */
  private readonly reqRules = new Map<number, Rule[]>();
  private pending: Rule[] = [];

  constructor(
    /** Is the package installed? */
    private readonly installed: (p: number) => boolean,
    /** A package a rule may install (its own rules must be made). */
    private readonly reach: (p: number) => void,
  ) {}

  /** Add a rule (tautologies are dropped); it waits in `takePending` until the solver evaluates it. */
  add(r: Rule): void {
    if (!normalizeRule(r)) return;
    this.index(r);
    if (r.type === 'job') {
      this.jobRules.push(r);
      this.ordered.push(r);
    } else if (r.type === 'requires' && r.lits.length > 2) {
      let list = this.reqRules.get(r.pkg);
      if (!list) this.reqRules.set(r.pkg, (list = []));
      list.push(r);
      if (this.installed(r.pkg)) this.insertOrdered(r);
    }
    for (const l of r.lits) if (l > 0) this.reach(l);
    this.pending.push(r);
  }

  /** A learnt clause: only propagation sees it. */
  addLearnt(r: Rule): void {
    this.index(r);
  }

  /** Rules mentioning package p. */
  occurring(p: number): Rule[] | undefined {
    return this.occurs.get(p);
  }

  /** Package p was installed: its requires rules with a choice become decision points. */
  installedPackage(p: number): void {
    for (const r of this.reqRules.get(p) ?? []) this.insertOrdered(r);
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The rules added since the last call. */
  takePending(): Rule[] {
    const rs = this.pending;
    this.pending = [];
    return rs;
  }

  private index(r: Rule): void {
    for (const l of r.lits) {
      const p = Math.abs(l);
      let list = this.occurs.get(p);
      if (!list) this.occurs.set(p, (list = []));
      list.push(r);
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
}

function compareOrder(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
