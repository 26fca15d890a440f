/**
 * Import of the blueprint files users have: composer-cli TOML, the JSON form (bare, or inside an osbuild/images build
 * config), and the hosted service's export (BlueprintExportResponse). What the hosted API's `customizations` can say is
 * converted to them; keys that are not blueprint keys, and settings the hosted API cannot build, come back as warnings
 * naming the key path. Nothing is dropped silently. Shared by the API's import op, the CLI, the web UI and Weldr.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { ValidationError } from '../errors.ts';
import type { Blueprint, BlueprintRepository, BlueprintUser } from './blueprint.ts';
import { blueprintFromObject, detectBlueprintFormat } from './parse-blueprint.ts';
import { BLUEPRINT_SHAPE, type Shape } from './shape.ts';

type Obj = Record<string, unknown>;

export type BlueprintFileFormat = 'toml' | 'json' | 'hosted';

export interface ImportedBlueprint {
  /** What the file was: composer TOML, composer JSON, or the hosted export/request JSON. */
  format: BlueprintFileFormat;
  name?: string;
  description?: string;
  distribution?: string;
  architecture?: string;
  /** Hosted files only: their image requests, when they have them. */
  imageRequests?: unknown[];
  /** The hosted API's `customizations`. */
  customizations: Obj;
  /** Composer files only: the blueprint as written (unknown keys left out), so an export gives it back unchanged. */
  composer?: Obj;
  /** One line per key left out or setting not applied, naming its path. */
  warnings: string[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Top-level keys of BlueprintExportResponse and CreateBlueprintRequest (hosted api.yaml). */
const HOSTED_KEYS = ['name', 'description', 'distribution', 'image_requests', 'customizations', 'metadata', 'content_sources', 'snapshot_date', 'bootc'];

/** Hosted JSON names `distribution`/`image_requests`/`metadata`, or keeps packages as strings; composer JSON does not. */
const isHostedShape = (raw: Obj): boolean =>
  'distribution' in raw ||
  'image_requests' in raw ||
  'metadata' in raw ||
  'content_sources' in raw ||
  (isObj(raw.customizations) && ['packages', 'users', 'groups', 'custom_repositories', 'payload_repositories'].some((k) => k in (raw.customizations as Obj)));

/** osbuild/images test configs: `{"name", "blueprint": {...}, "options"...}`. */
const isBuildConfig = (raw: Obj): raw is Obj & { blueprint: Obj } => isObj(raw.blueprint) && !('customizations' in raw);

function decode(text: string, format: 'toml' | 'json', field: string): unknown {
  try {
    return format === 'json' ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : '';
    throw new ValidationError(field, `not a valid ${format.toUpperCase()} blueprint${where}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/** A copy of `value` with only the keys `shape` knows; the paths of the others go to `unknown`. */
export function pruneToShape(value: unknown, shape: Shape, path: string, unknown: string[]): unknown {
  if (typeof shape === 'string' || value === null || typeof value !== 'object') return value;
  if ('array' in shape) return Array.isArray(value) ? value.map((v, i) => pruneToShape(v, shape.array, `${path}[${i}]`, unknown)) : value;
  if (Array.isArray(value) || shape.open) return value;
  const out: Obj = {};
  for (const [key, v] of Object.entries(value)) {
    const where = path ? `${path}.${key}` : key;
    if (shape.object[key]) out[key] = pruneToShape(v, shape.object[key], where, unknown);
    else unknown.push(where);
  }
  return out;
}

/**
 * Reads a blueprint file's text (TOML or JSON; `format` when the file name says which) or an already decoded
 * object. Malformed files and wrongly typed values raise a ValidationError naming the field.
 */
export function importBlueprint(input: unknown, format?: 'toml' | 'json', field = 'blueprint'): ImportedBlueprint {
  const raw = typeof input === 'string' ? decode(input, format ?? detectBlueprintFormat(input), field) : input;
  if (!isObj(raw)) throw new ValidationError(field, 'a blueprint must be a TOML document or a JSON object');
  const textFormat = typeof input === 'string' ? (format ?? detectBlueprintFormat(input)) : 'json';
  if (isBuildConfig(raw)) return importComposer(raw.blueprint, 'json', `${field}.blueprint`);
  if (textFormat === 'json' && isHostedShape(raw)) return importHosted(raw, field);
  return importComposer(raw, textFormat, field);
}

function importComposer(raw: Obj, format: 'toml' | 'json', field: string): ImportedBlueprint {
  const unknown: string[] = [];
  const composer = pruneToShape(raw, BLUEPRINT_SHAPE, '', unknown) as Obj;
  // Type errors raise here, naming the field; unknown keys were collected above with the same paths.
  const { blueprint } = blueprintFromObject(composer, field);
  const warnings = unknown.map((path) => `${path}: not a blueprint key; left out`);
  const customizations = hostedCustomizationsFromBlueprint(blueprint, warnings);
  return omitUndefined({
    format,
    name: blueprint.name,
    description: blueprint.description,
    distribution: blueprint.distro,
    architecture: blueprint.arch,
    customizations,
    composer,
    warnings,
  });
}

function importHosted(raw: Obj, field: string): ImportedBlueprint {
  const warnings = Object.keys(raw)
    .filter((key) => !HOSTED_KEYS.includes(key))
    .map((key) => `${key}: not a key of the hosted blueprint format; left out`);
  if (Array.isArray(raw.content_sources) && raw.content_sources.length) {
    warnings.push('content_sources: repositories of the hosted content service are not imported; customizations.custom_repositories are');
  }
  if (raw.snapshot_date !== undefined) warnings.push('snapshot_date: repository snapshots are not supported; left out');
  if (raw.bootc !== undefined) throw new ValidationError(`${field}.bootc`, 'bootc blueprints are not supported by this service; give a distribution');
  if (raw.customizations !== undefined && !isObj(raw.customizations)) throw new ValidationError(`${field}.customizations`, 'expected an object');
  const text = (key: string) => {
    if (raw[key] !== undefined && typeof raw[key] !== 'string') throw new ValidationError(`${field}.${key}`, 'expected a string');
    return raw[key] as string | undefined;
  };
  if (raw.image_requests !== undefined && !Array.isArray(raw.image_requests)) throw new ValidationError(`${field}.image_requests`, 'expected an array');
  return omitUndefined({
    format: 'hosted' as const,
    name: text('name'),
    description: text('description'),
    distribution: text('distribution'),
    imageRequests: raw.image_requests as unknown[] | undefined,
    customizations: (raw.customizations as Obj | undefined) ?? {},
    warnings,
  });
}

const NOT_BUILT = 'the hosted API has no equivalent; kept for export but not applied to images';

/** `name` or `name-version` as the hosted package list takes them ("*" and empty versions mean any). */
const packageSpec = (p: { name: string; version?: string }): string => (p.version && p.version !== '*' ? `${p.name}-${p.version}` : p.name);

function hostedUser(u: BlueprintUser, field: string, warnings: string[]): Obj {
  if (u.expiredate !== undefined) warnings.push(`${field}.expiredate: ${NOT_BUILT}`);
  if (u.force_password_reset !== undefined) warnings.push(`${field}.force_password_reset: ${NOT_BUILT}`);
  const { key, expiredate: _e, force_password_reset: _f, ...rest } = u;
  return omitUndefined({ ...rest, ssh_key: key });
}

/** A composer repository: install_from ones are payload repositories (depsolving only), the rest custom ones. */
function hostedRepository(r: BlueprintRepository, field: string, warnings: string[]): { payload?: Obj; custom?: Obj } {
  if (r.install_from) {
    if ((r.baseurls?.length ?? 0) > 1) warnings.push(`${field}.baseurls: a payload repository takes one baseurl in the hosted API; the first is used`);
    for (const key of ['name', 'filename', 'enabled', 'priority'] as const) if (r[key] !== undefined) warnings.push(`${field}.${key}: ${NOT_BUILT}`);
    return {
      payload: omitUndefined({
        id: r.id,
        baseurl: r.baseurls?.[0],
        mirrorlist: r.mirrorlist,
        metalink: r.metalink,
        gpgkey: r.gpgkeys?.length ? r.gpgkeys.join('\n') : undefined,
        check_gpg: r.gpgcheck,
        check_repo_gpg: r.repo_gpgcheck,
        ignore_ssl: r.sslverify === undefined ? undefined : !r.sslverify,
        module_hotfixes: r.module_hotfixes,
      }),
    };
  }
  const { baseurls, gpgkeys, gpgcheck, repo_gpgcheck, sslverify, install_from: _i, ...same } = r;
  return {
    custom: omitUndefined({ ...same, baseurl: baseurls, gpgkey: gpgkeys, check_gpg: gpgcheck, check_repo_gpg: repo_gpgcheck, ssl_verify: sslverify }),
  };
}

/** Users of `customizations.user`, with the keys of `customizations.sshkey` (the hosted API keeps a key on its user). */
function hostedUsers(bp: Blueprint, warnings: string[]): Obj[] {
  const c = bp.customizations;
  const users = (c.user ?? []).map((u, i) => hostedUser(u, `customizations.user[${i}]`, warnings));
  for (const [i, k] of (c.sshkey ?? []).entries()) {
    const user = users.find((u) => u.name === k.user);
    if (!user) users.push({ name: k.user, ssh_key: k.key });
    else if (user.ssh_key === undefined) user.ssh_key = k.key;
    else if (user.ssh_key !== k.key) warnings.push(`customizations.sshkey[${i}]: user "${k.user}" already has a different key in customizations.user; that one is applied`);
  }
  return users;
}

const NOT_HOSTED_CUSTOMIZATIONS = ['rpm', 'rhsm', 'sshd', 'dnf', 'containers_storage'] as const;

/** Composer Blueprint → hosted `customizations`; what the hosted API cannot express is named in `warnings`. */
export function hostedCustomizationsFromBlueprint(bp: Blueprint, warnings: string[] = []): Obj {
  const c = bp.customizations;
  const out: Obj = {};
  const packages = [...bp.packages.map(packageSpec), ...(bp.modules ?? []).map(packageSpec), ...bp.groups.map((g) => `@${g.name}`)];
  if (packages.length) out.packages = packages;
  if (bp.enabled_modules?.length) out.enabled_modules = bp.enabled_modules;
  if (bp.containers?.length) {
    out.containers = bp.containers.map((k, i) => {
      if (k['local-storage'] !== undefined) warnings.push(`containers[${i}].local-storage: ${NOT_BUILT}`);
      return omitUndefined({ source: k.source, name: k.name, tls_verify: k['tls-verify'] });
    });
  }
  if (c.hostname !== undefined) out.hostname = c.hostname;
  if (c.kernel !== undefined) out.kernel = c.kernel;
  const users = hostedUsers(bp, warnings);
  if (users.length) out.users = users;
  if (c.group?.length) out.groups = c.group.map((g) => omitUndefined({ name: g.name, gid: g.gid }));
  if (c.timezone !== undefined) out.timezone = c.timezone;
  if (c.locale !== undefined) out.locale = c.locale;
  if (c.firewall !== undefined) {
    const { zones, ...rest } = c.firewall;
    if (zones !== undefined) warnings.push(`customizations.firewall.zones: ${NOT_BUILT}`);
    out.firewall = rest;
  }
  if (c.services !== undefined) out.services = c.services;
  if (c.filesystem?.length) out.filesystem = c.filesystem.map((f) => ({ mountpoint: f.mountpoint, min_size: f.minsize }));
  if (c.disk !== undefined) out.disk = c.disk;
  if (c.partitioning_mode !== undefined) out.partitioning_mode = c.partitioning_mode;
  if (c.installation_device !== undefined) out.installation_device = c.installation_device;
  if (c.fips !== undefined) out.fips = { enabled: c.fips };
  if (c.directories?.length) out.directories = c.directories;
  if (c.files?.length) out.files = c.files;
  if (c.repositories?.length) {
    const converted = c.repositories.map((r, i) => hostedRepository(r, `customizations.repositories[${i}]`, warnings));
    const payload = converted.flatMap((r) => (r.payload ? [r.payload] : []));
    const custom = converted.flatMap((r) => (r.custom ? [r.custom] : []));
    if (payload.length) out.payload_repositories = payload;
    if (custom.length) out.custom_repositories = custom;
  }
  if (c.cacerts !== undefined) out.cacerts = c.cacerts;
  if (c.openscap !== undefined) out.openscap = c.openscap;
  if (c.fdo !== undefined) out.fdo = c.fdo;
  if (c.ignition !== undefined) out.ignition = c.ignition;
  if (c.installer !== undefined) out.installer = c.installer;
  for (const key of NOT_HOSTED_CUSTOMIZATIONS) if (c[key] !== undefined) warnings.push(`customizations.${key}: ${NOT_BUILT}`);
  return out;
}
