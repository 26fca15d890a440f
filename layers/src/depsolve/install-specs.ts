/**
 * dnf's `install_specs` over a pool: package specs become install jobs in request order, `@` specs add their groups'
 * jobs after them (dnf finalizes comps at resolve time), and specs that match nothing fail with dnf's marking error.
 */
import { groupJobsFor } from './comps-spec.ts';
import { DepsolveError } from './depsolve-error.ts';
import { selectionsForSpec } from './package-spec.ts';
import type { Pool } from './pool.ts';
import type { Comps } from './repo-index.ts';
import { Solver, UnsolvableError, type Job } from './solver.ts';

/** Turn dnf install specs into solver jobs, then solve. Returns package ids. */
export function solveSpecs(pool: Pool, comps: Comps, include: string[], weakDeps: boolean, basearch: string): number[] {
  const jobs: Job[] = [];
  const missing: string[] = [];
  const groupJobs: Job[] = [];
  // dnf drops repeated specs (_parse_specs).
  for (const spec of new Set(include)) {
    if (spec.startsWith('@')) {
      const g = groupJobsFor(pool, comps, spec.slice(1), basearch);
      if (!g) missing.push(`@${spec.slice(1).split('/')[0]}`);
      else groupJobs.push(...g);
      continue;
    }
    const selections = selectionsForSpec(pool, spec);
    if (!selections.length) missing.push(spec);
    for (const selection of selections) {
      const candidates = selection.filter((p) => pool.installable(p));
      const incompatible = selection.filter((p) => !pool.installable(p));
      jobs.push(candidates.length ? { kind: 'install', spec, candidates } : { kind: 'install', spec, candidates, incompatible });
    }
  }
  if (missing.length) throw markingError(missing);
  jobs.push(...groupJobs);
  try {
    return new Solver(pool, { weakDeps }).solve(jobs);
  } catch (e) {
    if (e instanceof UnsolvableError) throw new DepsolveError(e.message, { cause: e });
    throw e;
  }
}

/** dnf's MarkingErrors text. */
function markingError(missing: string[]): DepsolveError {
  const pk = missing.filter((m) => !m.startsWith('@'));
  const gr = missing.filter((m) => m.startsWith('@'));
  const lines = ['Problems in request:'];
  if (pk.length) lines.push(`missing packages: ${pk.join(', ')}`);
  if (gr.length) lines.push(`missing groups or modules: ${gr.join(', ')}`);
  return new DepsolveError(lines.join('\n'));
}
