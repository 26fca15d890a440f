/**
 * POST /experimental/recommendations from data this service holds: the hosted service asks a trained model; we rank
 * the packages that share the distribution's comps groups with the ones given (a small group that holds two of them
 * says more than a large one that holds one). No model, no telemetry: the same repositories give the same answer.
 */
import { findArchitecture, findDistribution, listDistributions } from '../distro/registry.ts';
import { ValidationError } from '../errors.ts';
import type { PackageGroup } from '../packages/package-set.ts';
import type { ServiceDeps } from './deps.ts';

/** What `modelVersion` names: the method, so answers can be told apart when it changes. */
export const RECOMMENDATION_MODEL = 'ibs-comps-cooccurrence-1';

/** The hosted API's distribution names (`rhel9`) → the RHEL-compatible distribution whose comps we hold. */
const RHEL_EQUIVALENTS: Readonly<Record<string, string>> = { rhel9: 'centos-9', rhel10: 'centos-10' };

export interface RecommendationRequest {
  packages: string[];
  recommendedPackages: number;
  distribution: string;
}

export interface Recommendations {
  packages: string[];
  modelVersion: string;
}

/** Our distribution for the request's name: one of ours, or a hosted `rhelN` we have an equivalent of. */
function distributionFor(name: string) {
  const ours = RHEL_EQUIVALENTS[name] ?? name;
  if (!listDistributions().some((d) => d.name === ours)) {
    const allowed = [...Object.entries(RHEL_EQUIVALENTS).map(([k, v]) => `${k} (as ${v})`), ...listDistributions().map((d) => d.name)];
    throw new ValidationError('distribution', `unsupported distribution "${name}": no package data is held for it (allowed: ${allowed.join(', ')})`);
  }
  return findDistribution(ours);
}

/** Packages ranked by how much of each comps group they share with `wanted`, best first, names breaking ties. */
export function rankByGroups(groups: readonly PackageGroup[], wanted: readonly string[], count: number): string[] {
  const asked = new Set(wanted);
  const scores = new Map<string, number>();
  for (const group of groups) {
    const members = new Set(group.packages);
    let shared = 0;
    for (const name of asked) if (members.has(name)) shared++;
    if (shared === 0) continue;
    const weight = shared / members.size;
    for (const name of members) if (!asked.has(name)) scores.set(name, (scores.get(name) ?? 0) + weight);
  }
  return [...scores.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, count)
    .map(([name]) => name);
}

/** Recommendations for the request; none (and a modelVersion that says why) when no package groups are available. */
export async function recommendPackages(deps: ServiceDeps, request: RecommendationRequest): Promise<Recommendations> {
  const distro = distributionFor(request.distribution);
  if (request.packages.length === 0 || request.recommendedPackages === 0) return { packages: [], modelVersion: RECOMMENDATION_MODEL };
  if (!deps.depsolver?.packageGroups) return { packages: [], modelVersion: `${RECOMMENDATION_MODEL} (no package groups in this deployment)` };
  // Comps are the same for every architecture of a distribution in practice; the first one's repositories are read.
  const arch = findArchitecture(distro, distro.architectures[0]!.name);
  const groups = await deps.depsolver.packageGroups({ repositories: [...arch.repositories], architecture: arch.name, releasever: distro.releasever });
  return { packages: rankByGroups(groups, request.packages, request.recommendedPackages), modelVersion: `${RECOMMENDATION_MODEL} (${distro.name} comps groups)` };
}
