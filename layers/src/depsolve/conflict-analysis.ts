/** Conflict analysis as libsolv's analyze(): the first-UIP clause a conflict teaches the solver. */
import type { Rule } from './solver-rules.ts';

/**
 * Walk the decision queue back from the conflicting rule through the reasons of the literals decided at the current
 * level until one remains (the first unique implication point). The learnt clause holds the UIP's negation first,
 * then the literals of lower levels (assertion-level literals, level 1, are left out).
 */
export function firstUip(
  conflict: Rule,
  decision: Int32Array,
  queue: readonly number[],
  reason: readonly (Rule | undefined)[],
  level: number,
): number[] {
  const seen = new Set<number>();
  const learnt: number[] = [];
  let count = 0;
  let idx = queue.length - 1;
  let rule: Rule | undefined = conflict;
  let skip = 0;
  for (;;) {
    for (const l of rule!.lits) {
      const v = Math.abs(l);
      if (v === skip || seen.has(v)) continue;
      seen.add(v);
      const lvl = Math.abs(decision[v]);
      if (lvl === level) count++;
      else if (lvl > 1) learnt.push(l);
    }
    let l: number;
    for (;;) {
      l = queue[idx--];
      if (seen.has(Math.abs(l))) break;
    }
    count--;
    rule = reason[idx + 1];
    if (count <= 0 || !rule) {
      learnt.unshift(-l);
      return learnt;
    }
    skip = Math.abs(l);
  }
}
