/** Our depsolver against dnf on the same tasks: outcomes, their comparison, and crafted requests turned into tasks. */
import { RepoDepsolver, DepsolveError } from '../../layers/src/depsolve/index.ts';
import { nevra } from '../../layers/src/packages/package-set.ts';
import { runDnfOracle, type OracleResult, type OracleTask } from './helpers.ts';
import type { CraftedRequest } from './scenarios.ts';

export interface Outcome {
  ok: boolean;
  packages?: string[];
  error?: string;
}

export async function resolveOurs(solver: RepoDepsolver, task: OracleTask): Promise<Outcome> {
  try {
    const pkgs = await solver.resolveSet(
      {
        include: task.include,
        exclude: task.exclude ?? [],
        installWeakDeps: task.weak,
        repositories: task.repos.map((r) => ({ id: r.id, baseurl: [r.baseurl], priority: r.priority, cost: r.cost })),
      },
      { architecture: task.arch, releasever: task.releasever },
    );
    return { ok: true, packages: pkgs.map(nevra).sort() };
  } catch (e) {
    if (e instanceof DepsolveError) return { ok: false, error: e.message };
    throw e;
  }
}

/** A line describing how our outcome differs from dnf's, or undefined when they agree. */
export function compareOutcomes(task: OracleTask, ours: Outcome, theirs: OracleResult): string | undefined {
  if (ours.ok !== theirs.ok) {
    return `${task.id}: dnf ${theirs.ok ? 'resolved' : 'failed'} (${theirs.ok ? theirs.packages?.join(' ') : theirs.error}) but we ${ours.ok ? `resolved ${ours.packages?.join(' ')}` : `failed: ${ours.error}`}`;
  }
  if (ours.ok && JSON.stringify(ours.packages) !== JSON.stringify(theirs.packages)) {
    const a = new Set(ours.packages);
    const b = new Set(theirs.packages);
    return `${task.id} [${task.include.join(' ')}]: only ours: ${[...a].filter((x) => !b.has(x)).join(' ')}; only dnf: ${[...b].filter((x) => !a.has(x)).join(' ')}`;
  }
  return undefined;
}

/** Crafted requests as oracle tasks on repositories served under `baseUrl/<repo>`. */
export function craftedTasks(requests: CraftedRequest[], baseUrl: string, defaultRepo = 'main'): OracleTask[] {
  const fallback: NonNullable<CraftedRequest['repos']> = [{ repo: defaultRepo }];
  return requests.map((r) => ({
    id: r.name,
    repos: (r.repos ?? fallback).map((x) => ({
      id: x.repo,
      baseurl: `${baseUrl}/${x.repo}`,
      ...(x.priority !== undefined ? { priority: x.priority } : {}),
      ...(x.cost !== undefined ? { cost: x.cost } : {}),
    })),
    arch: 'x86_64',
    releasever: '40',
    include: r.include,
    exclude: r.exclude,
    weak: r.weak ?? true,
  }));
}

/** Resolve every task with dnf and with us; the differences, problem texts included (dnf's words, word for word). */
export async function diffAgainstDnf(tasks: OracleTask[]): Promise<string[]> {
  const dnf = await runDnfOracle(tasks);
  const solver = new RepoDepsolver();
  const diffs: string[] = [];
  for (const t of tasks) {
    const ours = await resolveOurs(solver, t);
    const theirs = dnf.get(t.id)!;
    const d = compareOutcomes(t, ours, theirs);
    if (d) diffs.push(d);
    if (!ours.ok && !theirs.ok) {
      const want = theirs.error!.replace(/^marking: /, '').trim();
      if (ours.error!.trim() !== want) diffs.push(`${t.id}: dnf says ${JSON.stringify(want)}, we said ${JSON.stringify(ours.error)}`);
    }
  }
  return diffs;
}
