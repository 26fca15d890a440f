/**
 * `IBS_REPOSITORIES_DIR`: `<distro>.json` files in osbuild-composer's repository format (what composer reads from
 * /etc/osbuild-composer/repositories/) replace a distribution's built-in system repositories, for every API — how a
 * host without internet builds from a local mirror.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultRepository } from './defs/types.ts';
import { ConfigError } from '../config/env.ts';

/** An override file that cannot be used: names the file, the field and what is wrong (a bad IBS_REPOSITORIES_DIR). */
export class RepositoryOverrideError extends ConfigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IBS_REPOSITORIES_DIR', `(${message})`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** One distribution's repositories by architecture. */
export type RepositoriesByArch = Record<string, DefaultRepository[]>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse one file's JSON (architecture → repositories) field for field as composer's rpmmd.LoadRepositoriesFromReader:
 * `name`, `baseurl` / `metalink` / `mirrorlist`, `gpgkey` and `gpgkeys` (both kept, `gpgkey` first), `check_gpg`,
 * `check_repo_gpg`, `ignore_ssl`, `module_hotfixes`, `image_type_tags`, `package_sets`; `metadata_expire` and unknown
 * fields are ignored as composer ignores them. `rhsm: true` is refused (no subscription here).
 */
export function parseRepositoryOverride(data: unknown, file: string): RepositoriesByArch {
  if (!isObj(data)) throw new RepositoryOverrideError(`${file}: expected an object of architectures (e.g. {"x86_64": [...]})`);
  const out: RepositoriesByArch = {};
  for (const [arch, repos] of Object.entries(data)) {
    if (!Array.isArray(repos)) throw new RepositoryOverrideError(`${file}: ${arch} must be a list of repositories`);
    out[arch] = repos.map((r, i) => parseRepository(r, `${file}: ${arch}[${i}]`));
  }
  return out;
}

function parseRepository(r: unknown, at: string): DefaultRepository {
  if (!isObj(r)) throw new RepositoryOverrideError(`${at}: expected an object`);
  const str = (k: string): string | undefined => {
    if (r[k] === undefined || r[k] === '') return undefined;
    if (typeof r[k] !== 'string') throw new RepositoryOverrideError(`${at}.${k}: expected a string`);
    return r[k] as string;
  };
  const bool = (k: string): boolean | undefined => {
    if (r[k] === undefined) return undefined;
    if (typeof r[k] !== 'boolean') throw new RepositoryOverrideError(`${at}.${k}: expected true or false`);
    return r[k] as boolean;
  };
  const strs = (k: string): string[] | undefined => {
    if (r[k] === undefined) return undefined;
    if (!Array.isArray(r[k]) || !(r[k] as unknown[]).every((x) => typeof x === 'string')) throw new RepositoryOverrideError(`${at}.${k}: expected a list of strings`);
    return r[k] as string[];
  };
  const name = str('name');
  if (!name) throw new RepositoryOverrideError(`${at}.name: required (it is the repository's id)`);
  const repo: DefaultRepository = { name, gpgkeys: [...(str('gpgkey') ? [str('gpgkey')!] : []), ...(strs('gpgkeys') ?? [])], check_gpg: bool('check_gpg') ?? false };
  const baseurl = str('baseurl');
  const metalink = str('metalink');
  const mirrorlist = str('mirrorlist');
  if (!baseurl && !metalink && !mirrorlist) throw new RepositoryOverrideError(`${at}: one of baseurl, metalink or mirrorlist is required`);
  for (const [k, v] of [['baseurl', baseurl], ['metalink', metalink], ['mirrorlist', mirrorlist]] as const) {
    if (v && !/^(https?|file):\/\//i.test(v)) throw new RepositoryOverrideError(`${at}.${k}: "${v}" is not an http, https or file URL`);
  }
  if (bool('rhsm')) throw new RepositoryOverrideError(`${at}.rhsm: Red Hat subscription repositories are not supported (no entitlement certificates here)`);
  if (repo.check_gpg && !repo.gpgkeys.length) throw new RepositoryOverrideError(`${at}: check_gpg is true but no gpgkey is given`);
  return Object.assign(
    repo,
    baseurl ? { baseurl } : {},
    metalink ? { metalink } : {},
    mirrorlist ? { mirrorlist } : {},
    defined({
      check_repo_gpg: bool('check_repo_gpg'),
      ignore_ssl: bool('ignore_ssl'),
      module_hotfixes: bool('module_hotfixes'),
      image_type_tags: strs('image_type_tags'),
      package_sets: strs('package_sets'),
    }),
  );
}

const defined = <T extends object>(x: T): Partial<T> => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Every `<distro>.json` of `dir` whose name is in `known`; the other `.json` files are listed in `ignored`. */
export function readRepositoryOverrides(dir: string, known: readonly string[]): { overrides: Map<string, RepositoriesByArch>; ignored: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new RepositoryOverrideError(`${dir}: ${(e as Error).message}`, { cause: e });
  }
  const overrides = new Map<string, RepositoriesByArch>();
  const ignored: string[] = [];
  for (const f of names) {
    const distro = f.slice(0, -'.json'.length);
    if (!known.includes(distro)) {
      ignored.push(f);
      continue;
    }
    const path = join(dir, f);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new RepositoryOverrideError(`${path}: ${(e as Error).message}`, { cause: e });
    }
    overrides.set(distro, parseRepositoryOverride(data, path));
  }
  return { overrides, ignored };
}
