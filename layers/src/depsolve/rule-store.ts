/**
 * Where the solver keeps its rules: by the packages they mention (for unit propagation), the requires rules with a
 * real choice in libsolv's rule order once their package is installed (the decision points), job rules last, and the
 * rules made since the solver last evaluated them.
 */
import type { SolverScratch } from './solver-scratch.ts';
import { normalizeRule, type Rule } from './solver-rules.ts';

export class RuleStore {
  /** Decision points in libsolv order: package rules sorted by literals, then job rules in job order. */
  readonly ordered: Rule[] = [];
  readonly jobRules: Rule[] = [];
  /**
   * The propagation index: for each package, the rules holding +p (checked when p is decided not installed) and those
   * holding -p (checked when p is installed), as linked lists in typed arrays (head/tail by `p * 2 + sign`, entries
   * in insertion order): nothing is allocated per package or per rule.
   */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private entryRule: Int32Array;
  private entryNext: Int32Array;
  private entries = 1;
  /** The head/tail keys set, to clear them when the arrays are given back. */
  private readonly keys: number[] = [];
  private readonly ruleList: Rule[] = [];
  /** Requires rules with a real choice, by requiring package: decision points once it is installed. */
  private readonly reqRules = new Map<number, Rule[]>();
  private pending: Rule[] = [];
  private readonly inOrdered = new Set<Rule>();

  constructor(
    /** The arrays lent to the solve (cleared). */
    private readonly scratch: SolverScratch,
    /** Told of every package a rule may install (its own rules must be made). */
    private readonly maker: { reach(p: number): void },
  ) {
    this.head = scratch.head;
    this.tail = scratch.tail;
    this.entryRule = scratch.entryRule;
    this.entryNext = scratch.entryNext;
  }

  /** Clear what this store set in the lent arrays (and hand back grown entry arrays). */
  clear(): void {
    for (let i = 0; i < this.keys.length; i++) this.head[this.keys[i]] = this.tail[this.keys[i]] = 0;
    this.scratch.entryRule = this.entryRule;
    this.scratch.entryNext = this.entryNext;
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
      const list = this.reqRules.get(r.pkg);
      if (list) list.push(r);
      else this.reqRules.set(r.pkg, [r]);
      if (this.scratch.decision[r.pkg] > 0) this.insertOrdered(r);
    }
    const lits = r.lits;
    for (let i = 0; i < lits.length; i++) if (lits[i] > 0) this.maker.reach(lits[i]);
    this.pending.push(r);
  }

  /** A learnt clause: only propagation sees it. */
  addLearnt(r: Rule): void {
    this.index(r);
  }

  /** The first entry of the rules in which the literal `l` just made true falsifies a literal (0: none). */
  firstFalsified(l: number): number {
    return this.head[l > 0 ? l * 2 + 1 : -l * 2];
  }

  /** The entry after `e` (0: none); entries appended meanwhile are seen. */
  nextEntry(e: number): number {
    return this.entryNext[e];
  }

  /** The rule of entry `e`. */
  ruleOf(e: number): Rule {
    return this.ruleList[this.entryRule[e]];
  }

  /** Package p was installed: its requires rules with a choice become decision points. */
  installedPackage(p: number): void {
    const rs = this.reqRules.get(p);
    if (rs) for (let i = 0; i < rs.length; i++) this.insertOrdered(rs[i]);
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
    const id = this.ruleList.push(r) - 1;
    const lits = r.lits;
    for (let i = 0; i < lits.length; i++) {
      const l = lits[i];
      const key = l > 0 ? l * 2 : -l * 2 + 1;
      if (this.entries === this.entryRule.length) this.grow();
      const e = this.entries++;
      this.entryRule[e] = id;
      this.entryNext[e] = 0;
      if (this.tail[key] === 0) {
        this.head[key] = e;
        this.keys.push(key);
      } else this.entryNext[this.tail[key]] = e;
      this.tail[key] = e;
    }
  }

  private grow(): void {
    const rule = new Int32Array(this.entryRule.length * 2);
    rule.set(this.entryRule);
    this.entryRule = rule;
    const next = new Int32Array(this.entryNext.length * 2);
    next.set(this.entryNext);
    this.entryNext = next;
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
