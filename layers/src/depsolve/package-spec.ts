/**
 * What a package spec of `dnf install` selects, as dnf 4 does it (hawkey's `Subject.get_best_solution` and dnf's
 * `_get_best_selectors`): the NEVRA forms in libdnf's order (name-version-release.arch, name.arch, name,
 * name-version-release, name-version), then the spec against whole NEVRA strings, then Provides (and file paths).
 * Every part may be a glob (`*`, `?`, `[...]`); a glob spec installs one package per matching name.
 */
import { parseDep } from './dependency.ts';
import { globToRegExp, isGlob } from './glob.ts';
import type { Pool } from './pool.ts';
import { rpmvercmp } from './rpm-version.ts';

/** The parts of a spec in one NEVRA form (libdnf's `Nevra`); absent parts are not filtered on. */
export interface SpecNevra {
  name: string;
  epoch?: number;
  version?: string;
  release?: string;
  arch?: string;
}

// libdnf's nevra_form_regex, in HY_FORMS_MOST_SPEC order: NEVRA, NA, NAME, NEVR, NEV.
const NAME = '([^:(/=<> ]+)';
const EPOCH = '(?:([0-9]+):)?';
const VERSION = '([^-:(/=<> ]+)';
const ARCH = '([^-:.(/=<> ]+)';
const FORMS: { re: RegExp; parts: (keyof SpecNevra)[] }[] = [
  { re: new RegExp(`^${NAME}-${EPOCH}${VERSION}-${VERSION}\\.${ARCH}$`), parts: ['name', 'epoch', 'version', 'release', 'arch'] },
  { re: new RegExp(`^${NAME}\\.${ARCH}$`), parts: ['name', 'arch'] },
  { re: new RegExp(`^${NAME}$`), parts: ['name'] },
  { re: new RegExp(`^${NAME}-${EPOCH}${VERSION}-${VERSION}$`), parts: ['name', 'epoch', 'version', 'release'] },
  { re: new RegExp(`^${NAME}-${EPOCH}${VERSION}$`), parts: ['name', 'epoch', 'version'] },
];

/** The spec read in each NEVRA form it fits, most specific first. */
export function nevraForms(spec: string): SpecNevra[] {
  const out: SpecNevra[] = [];
  for (const { re, parts } of FORMS) {
    const m = re.exec(spec);
    if (!m) continue;
    const n: SpecNevra = { name: m[1] };
    parts.slice(1).forEach((part, i) => {
      const v = m[i + 2];
      if (v === undefined || v === '') return;
      if (part === 'epoch') n.epoch = Number(v);
      else n[part] = v;
    });
    out.push(n);
  }
  return out;
}

/** A string filter as libdnf's HY_GLOB: a glob when it holds glob characters, else `equal`. */
function textFilter(pattern: string | undefined, equal: (value: string, pattern: string) => boolean): ((v: string) => boolean) | undefined {
  if (pattern === undefined || pattern === '*') return undefined;
  if (isGlob(pattern)) {
    const re = globToRegExp(pattern);
    return (v) => re.test(v);
  }
  return (v) => equal(v, pattern);
}

const sameText = (a: string, b: string) => a === b;
// libdnf compares a plain version (or release) with rpm's comparison: `tmux-03.4` selects tmux 3.4.
const sameVersion = (a: string, b: string) => rpmvercmp(a, b) === 0;

/**
 * Visible packages (installable or of an incompatible architecture, as dnf's queries see them), ascending ids, whose
 * name matches: one name, or a glob over all names.
 */
function packagesNamed(pool: Pool, name: string): number[] {
  if (name === '*' || isGlob(name)) {
    const test = textFilter(name, sameText);
    const out: number[] = [];
    for (let p = 1; p < pool.size; p++) if (pool.visible(p) && (!test || test(pool.name(p)))) out.push(p);
    return out;
  }
  return pool.namedVisible(name);
}

/** Packages a parsed spec selects (libdnf's `Query::addFilter(HyNevra)`). */
export function queryNevra(pool: Pool, n: SpecNevra): number[] {
  const version = textFilter(n.version, sameVersion);
  const release = textFilter(n.release, sameVersion);
  const arch = textFilter(n.arch, sameText);
  return packagesNamed(pool, n.name).filter((p) => {
    const e = pool.evr(p);
    if (n.epoch !== undefined && e.epoch !== n.epoch) return false;
    if (version && !version(e.version)) return false;
    if (release && !release(e.release)) return false;
    return !arch || arch(pool.arch(p));
  });
}

/** Packages whose `name-[epoch:]version-release.arch` matches the spec (epoch shown when the spec has one). */
function queryNevraString(pool: Pool, spec: string): number[] {
  if (/[(/=<> ]/.test(spec)) return [];
  const withEpoch = spec.includes(':');
  const test = textFilter(spec, sameText)!;
  const out: number[] = [];
  for (let p = 1; p < pool.size; p++) {
    if (!pool.visible(p)) continue;
    const e = pool.evr(p);
    if (test(`${pool.name(p)}-${withEpoch ? `${e.epoch}:` : ''}${e.version}-${e.release}.${pool.arch(p)}`)) out.push(p);
  }
  return out;
}

/** Packages providing the spec: a dependency (`foo >= 1`, a file path) or a glob over Provides names and files. */
function queryProvides(pool: Pool, spec: string): number[] {
  if (isGlob(spec)) return pool.providersMatching(globToRegExp(spec));
  try {
    const d = parseDep(spec);
    if (d.kind === 'simple') return Array.from(pool.whatProvides(d));
  } catch {
    // not a dependency expression
  }
  return [];
}

/** hawkey's best solution: the packages the spec names and the NEVRA form that found them (none for Provides). */
export function bestSolution(pool: Pool, spec: string): { packages: number[]; nevra?: SpecNevra } {
  for (const n of nevraForms(spec)) {
    const packages = queryNevra(pool, n);
    if (packages.length) return { packages, nevra: n };
  }
  const byNevra = queryNevraString(pool, spec);
  if (byNevra.length) return { packages: byNevra };
  return { packages: queryProvides(pool, spec) };
}

const hasJustName = (n: SpecNevra | undefined) =>
  !!n && n.epoch === undefined && n.version === undefined && n.release === undefined && n.arch === undefined;

/**
 * The selections (one install job each, candidates in ascending id order) a spec stands for; [] when it matches
 * nothing. A plain name also selects the packages that obsolete it (dnf's `obsoletes=True`).
 */
export function selectionsForSpec(pool: Pool, spec: string): number[][] {
  const { packages, nevra } = bestSolution(pool, spec);
  if (!packages.length) return [];
  // An architecture glob: one job per name and architecture, each with every package obsoleting it.
  if (nevra?.arch && isGlob(nevra.arch)) {
    return groupBy(packages, (p) => `${pool.name(p)}.${pool.arch(p)}`).map((g) => withObsoleters(pool, g));
  }
  const filePattern = spec.startsWith('/') || spec.startsWith('*/');
  if (isGlob(spec) && !filePattern) {
    return groupBy(packages, (p) => pool.name(p)).map((g) => (hasJustName(nevra) ? withObsoleters(pool, g) : g));
  }
  return [hasJustName(nevra) ? withObsoleters(pool, packages) : packages];
}

/** Split ascending ids by key, groups in order of their first member. */
function groupBy(ids: number[], key: (p: number) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (const p of ids) {
    const k = key(p);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  return [...groups.values()];
}

/** The packages plus those whose Obsoletes match one of them, ascending ids. */
export function withObsoleters(pool: Pool, pkgs: number[]): number[] {
  // Most names are obsoleted by nothing: the packages as they are (a copy; ascending as byName gives them).
  let obsoleted = false;
  for (let i = 0; i < pkgs.length && !obsoleted; i++) obsoleted = pool.nameObsoleted(pkgs[i]);
  if (!obsoleted) return pkgs.length === 1 ? [pkgs[0]] : [...pkgs].sort((a, b) => a - b);
  const set = new Set(pkgs);
  const names = new Set(pkgs.map((p) => pool.name(p)));
  for (const name of names) {
    for (const q of pool.reverse('obsoletes', name)) {
      if (set.has(q)) continue;
      for (const d of pool.deps(q, 'obsoletes')) {
        if (d.kind === 'simple' && d.name === name && pool.whatNamed(d).some((p) => set.has(p))) {
          set.add(q);
          break;
        }
      }
    }
  }
  return [...set].sort((a, b) => a - b);
}
