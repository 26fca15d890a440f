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
  /** Dense slot of each package the rules mention (0: none yet); the lists below are indexed by slot. */
  private readonly slots: Int32Array;
  /** Rules holding +p (checked when p is decided not installed) and -p (checked when p is installed). */
  private readonly positive: Rule[][] = [[]];
  private readonly negative: Rule[][] = [[]];
  /** Requires rules with a real choice, by requiring package's slot: decision points once it is installed. */
  private readonly reqRules: (Rule[] | undefined)[] = [undefined];
  private pending: Rule[] = [];
  private readonly inOrdered = new Set<Rule>();

  constructor(
    /** Package ids are below this. */
    size: number,
    /** Is the package installed? */
    private readonly installed: (p: number) => boolean,
    /** A package a rule may install (its own rules must be made). */
    private readonly reach: (p: number) => void,
  ) {
    this.slots = new Int32Array(size);
  }

  private slot(p: number): number {
    let i = this.slots[p];
    if (i === 0) {
      i = this.positive.length;
      this.slots[p] = i;
      this.positive.push([]);
      this.negative.push([]);
      this.reqRules.push(undefined);
    }
    return i;
  }

  /** Add a job rule (normalized here, tautologies dropped); it waits in `takePending` until the solver evaluates it. */
  add(r: Rule): void {
    if (normalizeRule(r)) this.addNormalized(r);
  }

  /** Add a normalized rule (a package's shared rules, which must not be changed). */
  addNormalized(r: Rule): void {
    this.index(r);
    if (r.type === 'job') {
      this.jobRules.push(r);
      this.ordered.push(r);
    } else if (r.type === 'requires' && r.lits.length > 2) {
      const at = this.slot(r.pkg);
      const list = this.reqRules[at];
      if (list) list.push(r);
      else this.reqRules[at] = [r];
      if (this.installed(r.pkg)) this.insertOrdered(r);
    }
    for (let i = 0; i < r.lits.length; i++) if (r.lits[i] > 0) this.reach(r.lits[i]);
    this.pending.push(r);
  }

  /** A learnt clause: only propagation sees it. */
  addLearnt(r: Rule): void {
    this.index(r);
  }

  /** Rules in which the literal `l` just made true falsifies a literal (only those can become unit or false). */
  falsifiedBy(l: number): Rule[] | undefined {
    const at = this.slots[l > 0 ? l : -l];
    if (at === 0) return undefined;
    return l > 0 ? this.negative[at] : this.positive[at];
  }

  /** Package p was installed: its requires rules with a choice become decision points. */
  installedPackage(p: number): void {
    const at = this.slots[p];
    const rs = at === 0 ? undefined : this.reqRules[at];
    if (rs) for (const r of rs) this.insertOrdered(r);
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
    const lits = r.lits;
    for (let i = 0; i < lits.length; i++) {
      const l = lits[i];
      if (l > 0) this.positive[this.slot(l)].push(r);
      else this.negative[this.slot(-l)].push(r);
    }
  }

  private insertOrdered(r: Rule): void {
    if (this.inOrdered.has(r)) return;
    this.inOrdered.add(r);
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
