/**
 * `blueprints freeze` as osbuild-composer's Weldr API does it: each package and module of a composer blueprint gets the
 * exact EVRA it depsolved to (`version-release.arch`, `epoch:` in front when the epoch is not 0); a glob name becomes
 * every resolved package it matches. The frozen blueprint builds the same package versions later.
 */
import { globToRegExp, isGlob } from '../depsolve/glob.ts';

type Obj = Record<string, unknown>;

export interface ResolvedNevra {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
}

export interface FrozenBlueprint {
  blueprint: Obj;
  /** Package and module names with no resolved package (named by key path). */
  missing: string[];
}

export const evraOf = (p: ResolvedNevra): string => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;

function freezeList(list: unknown, key: string, byName: Map<string, ResolvedNevra>, resolved: ResolvedNevra[], missing: string[]): Obj[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const frozen = new Map<string, Obj>();
  list.forEach((entry: Obj, i) => {
    const name = String(entry.name);
    const matches = isGlob(name) ? resolved.filter((p) => globToRegExp(name).test(p.name)) : byName.has(name) ? [byName.get(name)!] : [];
    if (matches.length === 0) missing.push(`${key}[${i}] ${name}`);
    for (const p of matches) frozen.set(`${p.name}.${p.arch}`, { name: p.name, version: evraOf(p) });
  });
  return [...frozen.values()].sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/** The blueprint with exact versions from `resolved` (the depsolve result of its packages). */
export function freezeBlueprint(blueprint: Obj, resolved: ResolvedNevra[]): FrozenBlueprint {
  const byName = new Map(resolved.map((p) => [p.name, p]));
  const missing: string[] = [];
  const out: Obj = { ...blueprint };
  const packages = freezeList(blueprint.packages, 'packages', byName, resolved, missing);
  const modules = freezeList(blueprint.modules, 'modules', byName, resolved, missing);
  if (packages) out.packages = packages;
  if (modules) out.modules = modules;
  return { blueprint: out, missing };
}
