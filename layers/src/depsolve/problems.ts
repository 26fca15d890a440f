/** Why a request cannot be satisfied, in dnf's words and order (libsolv's problem rules, reconstructed from the jobs). */
import { formatDep } from './dependency.ts';
import type { Pool } from './pool.ts';
import type { Job } from './solver-rules.ts';

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
