/**
 * `@group` specs as dnf 4's `install_specs` reads them: a pattern matched against the ids and names of comps groups
 * and environments (exactly first, then as a case-insensitive glob, as dnf's `CompsQuery`), so `@Fedora Cloud Server`
 * finds the group `cloud-server`. Matching groups and the groups of matching environments become install jobs.
 */
import type { LoadedRepository } from './index-store.ts';
import { globToRegExp } from './glob.ts';
import { withObsoleters } from './package-spec.ts';
import type { Pool } from './pool.ts';
import type { Comps, CompsEnvironment, CompsGroup } from './repo-index.ts';
import type { Job } from './solver.ts';

/** dnf's `group_package_types` default. */
const DEFAULT_TYPES = ['mandatory', 'default', 'conditional'];

/** The comps of all repositories, groups and environments merged by id (first repository wins an environment). */
export function mergeComps(loaded: LoadedRepository[]): Comps {
  const groups = new Map<string, CompsGroup>();
  const envs = new Map<string, CompsEnvironment>();
  for (const l of loaded) {
    const c = l.index.comps();
    if (!c) continue;
    for (const g of c.groups) {
      const prev = groups.get(g.id);
      if (!prev) groups.set(g.id, { ...g, packages: [...g.packages] });
      else for (const p of g.packages) if (!prev.packages.some((q) => q.name === p.name)) prev.packages.push(p);
    }
    for (const e of c.environments) if (!envs.has(e.id)) envs.set(e.id, e);
  }
  return { groups: [...groups.values()], environments: [...envs.values()] };
}

/** dnf's `_by_pattern`: items whose id or name equals the pattern, else those matching it as a case-insensitive glob. */
export function matchComps<T extends { id: string; name: string }>(items: T[], pattern: string): T[] {
  const exact = items.filter((x) => x.id === pattern || x.name === pattern);
  if (exact.length) return exact;
  const re = globToRegExp(pattern, { ignoreCase: true, python: true });
  return items.filter((x) => re.test(x.id) || re.test(x.name));
}

/**
 * Jobs for one `@spec` (without the `@`), or undefined when no group or environment matches. `pattern/types` limits
 * the package types (`@core/mandatory`), as dnf's `_install_groups` does.
 */
export function groupJobsFor(pool: Pool, comps: Comps, spec: string, basearch: string): Job[] | undefined {
  const [pattern, typeList] = spec.includes('/') ? [spec.split('/')[0], spec.split('/')[1]] : [spec, undefined];
  const types = typeList !== undefined ? typeList.split(',') : DEFAULT_TYPES;
  const groups = matchComps(comps.groups, pattern);
  const envs = matchComps(comps.environments, pattern);
  if (!groups.length && !envs.length) return undefined;
  // dnf installs the matching groups, then the mandatory groups of the matching environments.
  const all = [...groups];
  for (const e of envs) {
    for (const id of e.groups) {
      const g = comps.groups.find((x) => x.id === id);
      if (g) all.push(g);
    }
  }
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const g of all) {
    for (const pkg of g.packages) {
      // A name listed both plainly and as conditional gives two jobs, as in dnf.
      const key = `${pkg.name}\0${pkg.requires ?? ''}`;
      if (!types.includes(pkg.type) || seen.has(key)) continue;
      seen.add(key);
      let q = pool.byName(pkg.name);
      if (pkg.basearchonly) q = q.filter((p) => pool.arch(p) === basearch);
      if (!q.length) continue; // dnf warns 'No match for group package' and goes on
      if (pkg.requires) {
        const triggers = Array.from(pool.whatProvides({ kind: 'simple', name: pkg.requires, flags: 0 }));
        const providers = Array.from(pool.whatProvides({ kind: 'simple', name: pkg.name, flags: 0 }));
        jobs.push({ kind: 'conditional', spec: `(${pkg.name} if ${pkg.requires})`, providers, triggers });
      } else {
        jobs.push({ kind: 'install', spec: pkg.name, candidates: withObsoleters(pool, q) });
      }
    }
  }
  return jobs;
}
