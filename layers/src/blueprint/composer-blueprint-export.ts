/**
 * Export of a stored blueprint in composer's format (the struct of github.com/osbuild/blueprint, as TOML or JSON), so
 * `composer-cli blueprints push` and `image-builder build --blueprint` take what this service holds. A version imported
 * from a composer file is given back as written; one saved through the hosted API is converted from its
 * `customizations`, and what composer cannot express is named in the warnings.
 */
import { stringify as stringifyToml } from 'smol-toml';

type Obj = Record<string, unknown>;

export interface ExportableBlueprint {
  name: string;
  description: string;
  /** The stored body: distribution, image_requests, customizations and, for composer imports, `composer`. */
  body: Record<string, unknown>;
}

export interface ComposerExport {
  blueprint: Obj;
  warnings: string[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The body key under which a composer import keeps the file it came from. */
export const COMPOSER_SOURCE_KEY = 'composer';

/** The stored body without the composer source: what the hosted API shows and builds. */
export function omitComposerSource(body: Record<string, unknown>): Record<string, unknown> {
  const { [COMPOSER_SOURCE_KEY]: _source, ...hosted } = body;
  return hosted;
}

/** Composer's leading keys first, as composer-cli writes them; the rest in their stored order. */
const LEADING_KEYS = ['name', 'description', 'version', 'distro', 'architecture', 'arch', 'packages', 'modules', 'enabled_modules', 'groups', 'containers'];

function ordered(bp: Obj): Obj {
  const keys = [...LEADING_KEYS.filter((k) => k in bp), ...Object.keys(bp).filter((k) => !LEADING_KEYS.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, bp[k]]));
}

/** The composer blueprint of a stored version. */
export function renderComposerBlueprint(stored: ExportableBlueprint): ComposerExport {
  const source = stored.body[COMPOSER_SOURCE_KEY];
  if (isObj(source)) {
    const { name: _n, description, ...rest } = source;
    const text = stored.description || (description as string | undefined);
    return { blueprint: ordered({ name: stored.name, ...(text !== undefined ? { description: text } : {}), ...rest }), warnings: [] };
  }
  return convertHostedToComposer(stored);
}

function composerUser(u: Obj): Obj {
  const { ssh_key, hasPassword: _h, ...rest } = u;
  return omitUndefined({ ...rest, key: ssh_key });
}

function composerFiles(files: Obj[], warnings: string[]): Obj[] {
  return files.map((f, i) => {
    const { data_encoding, ensure_parents, data, ...rest } = f;
    if (ensure_parents !== undefined) warnings.push(`customizations.files[${i}].ensure_parents: composer files have no such setting; add the directory to customizations.directories`);
    let text = data;
    if (data_encoding === 'base64' && typeof data === 'string') {
      // atob and TextDecoder, not Buffer: the web UI runs this module in the browser.
      const bytes = Uint8Array.from(atob(data.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        text = new TextDecoder('utf-8').decode(bytes);
        warnings.push(`customizations.files[${i}].data: binary content cannot be written in a composer blueprint; it is not valid UTF-8`);
      }
    }
    return omitUndefined({ ...rest, data: text });
  });
}

function composerRepositories(c: Obj): Obj[] {
  const custom = list(c.custom_repositories).map(({ baseurl, gpgkey, check_gpg, check_repo_gpg, ssl_verify, ...same }) =>
    omitUndefined({ ...same, baseurls: baseurl, gpgkeys: gpgkey, gpgcheck: check_gpg, repo_gpgcheck: check_repo_gpg, sslverify: ssl_verify }),
  );
  const payload = list(c.payload_repositories).map((r) =>
    omitUndefined({
      id: r.id,
      baseurls: r.baseurl === undefined ? undefined : [r.baseurl],
      mirrorlist: r.mirrorlist,
      metalink: r.metalink,
      gpgkeys: typeof r.gpgkey === 'string' ? [r.gpgkey] : undefined,
      gpgcheck: r.check_gpg,
      repo_gpgcheck: r.check_repo_gpg,
      sslverify: typeof r.ignore_ssl === 'boolean' ? !r.ignore_ssl : undefined,
      module_hotfixes: r.module_hotfixes,
      install_from: true,
    }),
  );
  return [...custom, ...payload];
}

/** Hosted keys that map one to one. */
const SAME_KEYS = ['hostname', 'kernel', 'timezone', 'locale', 'firewall', 'services', 'disk', 'partitioning_mode', 'installation_device', 'directories', 'cacerts', 'fdo', 'ignition', 'installer'];

/** A blueprint saved through the hosted API, in composer's shape (as image-builder-frontend's mapHostedToOnPrem). */
function convertHostedToComposer(stored: ExportableBlueprint): ComposerExport {
  const warnings: string[] = [];
  const c = isObj(stored.body.customizations) ? stored.body.customizations : {};
  const specs = Array.isArray(c.packages) ? c.packages.filter((p): p is string => typeof p === 'string') : [];
  const out: Obj = { name: stored.name, ...(stored.description ? { description: stored.description } : {}) };
  if (typeof stored.body.distribution === 'string') out.distro = stored.body.distribution;
  const packages = specs.filter((p) => !p.startsWith('@')).map((name) => ({ name, version: '*' }));
  const groups = specs.filter((p) => p.startsWith('@')).map((p) => ({ name: p.slice(1) }));
  if (packages.length) out.packages = packages;
  if (groups.length) out.groups = groups;
  if (Array.isArray(c.enabled_modules)) out.enabled_modules = c.enabled_modules;
  if (Array.isArray(c.containers)) out.containers = list(c.containers).map(({ tls_verify, ...rest }) => omitUndefined({ ...rest, 'tls-verify': tls_verify }));
  const custom: Obj = {};
  for (const key of SAME_KEYS) if (c[key] !== undefined) custom[key] = c[key];
  if (Array.isArray(c.users)) custom.user = list(c.users).map(composerUser);
  if (Array.isArray(c.groups)) custom.group = c.groups;
  if (Array.isArray(c.filesystem)) custom.filesystem = list(c.filesystem).map((f) => ({ mountpoint: f.mountpoint, minsize: f.min_size }));
  if (isObj(c.fips)) custom.fips = c.fips.enabled === true;
  if (Array.isArray(c.files)) custom.files = composerFiles(list(c.files), warnings);
  const repositories = composerRepositories(c);
  if (repositories.length) custom.repositories = repositories;
  if (isObj(c.openscap)) custom.openscap = c.openscap;
  for (const key of ['subscription', 'aap_registration']) if (c[key] !== undefined) warnings.push(`customizations.${key}: composer blueprints have no such setting; left out`);
  if (Object.keys(custom).length) out.customizations = custom;
  return { blueprint: ordered(out), warnings };
}

/** composer-cli's TOML: top-level keys, then [[packages]] ... and [customizations] tables. */
export const formatComposerToml = (blueprint: Obj): string => `${stringifyToml(blueprint).trim()}\n`;

export const formatComposerJson = (blueprint: Obj): string => `${JSON.stringify(blueprint, null, 2)}\n`;
