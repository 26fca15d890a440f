/**
 * The solver's per-package arrays (decisions, the propagation index, packages whose rules were made), kept per pool
 * and lent to one solve at a time: a warm solve then allocates none of them (a megabyte and more on a large pool, and
 * the collections that follow). A solve gives them back cleared, entry by entry (it knows what it touched).
 */
import type { Pool } from './pool.ts';

const byPool = new WeakMap<Pool, SolverScratch>();

export class SolverScratch {
  /** +level installed, -level not installed, 0 undecided; by package. */
  readonly decision: Int32Array;
  /** Propagation index heads and tails, by `p * 2 + sign` (rule-store.ts). */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  /** Propagation index entries (grown as needed; kept grown). */
  entryRule: Int32Array = new Int32Array(1 << 14);
  entryNext: Int32Array = new Int32Array(1 << 14);
  /** 1 = the package's rules were made. */
  readonly made: Uint8Array;
  private lent = false;

  private constructor(size: number) {
    this.decision = new Int32Array(size);
    this.head = new Int32Array(size * 2);
    this.tail = new Int32Array(size * 2);
    this.made = new Uint8Array(size);
  }

  /** Cleared arrays for a solve on `pool` (fresh ones while the pool's are lent). */
  static borrow(pool: Pool): SolverScratch {
    let s = byPool.get(pool);
    if (!s) byPool.set(pool, (s = new SolverScratch(pool.size)));
    else if (s.lent) return new SolverScratch(pool.size);
    s.lent = true;
    return s;
  }

  /** The solve is over and has cleared every entry it set. */
  giveBack(): void {
    this.lent = false;
  }
}
