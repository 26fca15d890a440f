/**
 * Blueprint file → Image Builder API ComposeRequest parts. The inverse of the service's
 * blueprintFromApiCustomizations (layers/src/blueprint/from-api-customizations.ts): what composer-cli users keep in
 * TOML/JSON blueprints goes over the wire as API `customizations`. Blueprint settings the API cannot express are
 * refused by name instead of being dropped.
 */
import { readFileSync } from 'node:fs';
import type { Blueprint, BlueprintRepository, BlueprintUser } from '../../layers/src/blueprint/blueprint.ts';
import { blueprintFromObject, detectBlueprintFormat, parseBlueprint, type ParsedBlueprint } from '../../layers/src/blueprint/parse-blueprint.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { CliError } from './errors.ts';

type Obj = Record<string, unknown>;

export interface BlueprintFile extends ParsedBlueprint {
  path: string;
}

/** Reads a TOML or JSON blueprint; also accepts osbuild/images build configs (`{"name", "blueprint": {...}}`). */
export function readBlueprintFile(path: string): BlueprintFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read blueprint ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, undefined, {
      cause: error,
    });
  }
  try {
    const format = path.endsWith('.json') ? 'json' : path.endsWith('.toml') ? 'toml' : detectBlueprintFormat(text);
    if (format === 'json') {
      const raw = parseJson(text, path);
      if (isBuildConfig(raw)) return { path, ...blueprintFromObject(raw.blueprint, 'blueprint') };
    }
    return { path, ...parseBlueprint(text, format) };
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`blueprint ${path}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`blueprint ${path} is not valid JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
}

const isBuildConfig = (raw: unknown): raw is { blueprint: unknown } =>
  typeof raw === 'object' && raw !== null && 'blueprint' in raw && typeof (raw as Obj).blueprint === 'object' && !('customizations' in raw);

/** Blueprint settings with no equivalent in the API's `customizations`. */
export class UnsupportedBlueprintError extends CliError {
  constructor(readonly fields: string[]) {
    super(`the Image Builder API cannot express ${fields.map((f) => `"${f}"`).join(', ')}; remove ${fields.length > 1 ? 'them' : 'it'} from the blueprint`);
    this.name = 'UnsupportedBlueprintError';
  }
}

const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `name` or `name-version` as the API's package list expects ("*" and empty versions mean any). */
const packageSpec = (p: { name: string; version?: string }): string => (p.version && p.version !== '*' ? `${p.name}-${p.version}` : p.name);

function apiUser(u: BlueprintUser, field: string, unsupported: string[]): Obj {
  if (u.expiredate !== undefined) unsupported.push(`${field}.expiredate`);
  if (u.force_password_reset !== undefined) unsupported.push(`${field}.force_password_reset`);
  return omitUndefined({
    name: u.name,
    groups: u.groups,
    ssh_key: u.key,
    password: u.password,
    uid: u.uid,
    gid: u.gid,
    home: u.home,
    shell: u.shell,
    description: u.description,
  });
}

function apiRepository(r: BlueprintRepository, field: string): { payload?: Obj; custom?: Obj } {
  if (r.install_from) {
    // Payload repositories (used for depsolving) take one baseurl and no file settings in the API.
    if ((r.baseurls?.length ?? 0) > 1) throw new CliError(`blueprint ${field}.baseurls: install_from repositories take one baseurl in the API`);
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
  return {
    custom: omitUndefined({
      id: r.id,
      name: r.name,
      filename: r.filename,
      baseurl: r.baseurls,
      mirrorlist: r.mirrorlist,
      metalink: r.metalink,
      gpgkey: r.gpgkeys,
      check_gpg: r.gpgcheck,
      check_repo_gpg: r.repo_gpgcheck,
      enabled: r.enabled,
      priority: r.priority,
      ssl_verify: r.sslverify,
      module_hotfixes: r.module_hotfixes,
    }),
  };
}

const UNSUPPORTED_CUSTOMIZATIONS = ['rpm', 'rhsm', 'sshd', 'dnf', 'containers_storage'] as const;

/** Converts a Blueprint to API `customizations`; throws UnsupportedBlueprintError naming what cannot be sent. */
export function apiCustomizationsFromBlueprint(bp: Blueprint): Obj {
  const c = bp.customizations;
  const out: Obj = {};
  const unsupported: string[] = [];

  const packages = [...bp.packages.map(packageSpec), ...(bp.modules ?? []).map(packageSpec), ...bp.groups.map((g) => `@${g.name}`)];
  if (packages.length) out.packages = packages;
  if (bp.enabled_modules?.length) out.enabled_modules = bp.enabled_modules;
  if (bp.containers?.length) {
    out.containers = bp.containers.map((k, i) => {
      if (k['local-storage'] !== undefined) unsupported.push(`containers[${i}].local-storage`);
      return omitUndefined({ source: k.source, name: k.name, tls_verify: k['tls-verify'] });
    });
  }
  if (c.hostname !== undefined) out.hostname = c.hostname;
  if (c.kernel !== undefined) out.kernel = c.kernel;

  const users = (c.user ?? []).map((u, i) => apiUser(u, `customizations.user[${i}]`, unsupported));
  // composer's [[customizations.sshkey]] sets the key of a user; the API keeps the key on the user.
  for (const [i, k] of (c.sshkey ?? []).entries()) {
    const user = users.find((u) => u.name === k.user);
    if (!user) users.push({ name: k.user, ssh_key: k.key });
    else if (user.ssh_key === undefined) user.ssh_key = k.key;
    else if (user.ssh_key !== k.key) throw new CliError(`blueprint customizations.sshkey[${i}]: user "${k.user}" already has a different key in customizations.user`);
  }
  if (users.length) out.users = users;
  if (c.group?.length) out.groups = c.group.map((g) => omitUndefined({ name: g.name, gid: g.gid }));
  if (c.timezone !== undefined) out.timezone = c.timezone;
  if (c.locale !== undefined) out.locale = c.locale;
  if (c.firewall !== undefined) {
    const { zones, ...rest } = c.firewall;
    if (zones !== undefined) unsupported.push('customizations.firewall.zones');
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
    const converted = c.repositories.map((r, i) => apiRepository(r, `customizations.repositories[${i}]`));
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
  for (const key of UNSUPPORTED_CUSTOMIZATIONS) if (c[key] !== undefined) unsupported.push(`customizations.${key}`);
  if (unsupported.length) throw new UnsupportedBlueprintError(unsupported);
  return out;
}

export interface ComposeRequestInput {
  distribution: string;
  architecture: string;
  imageType: string;
  blueprint?: Blueprint;
  imageName?: string;
  size?: number;
  upload?: string;
}

/** A ComposeRequest body (api `ComposeRequest`). */
export function composeRequestFrom(input: ComposeRequestInput): Obj {
  const customizations = input.blueprint ? apiCustomizationsFromBlueprint(input.blueprint) : {};
  const imageName = input.imageName ?? input.blueprint?.name;
  return omitUndefined({
    distribution: input.distribution,
    image_name: imageName,
    image_description: input.blueprint?.description?.slice(0, 250) || undefined,
    image_requests: [
      omitUndefined({
        architecture: input.architecture,
        image_type: input.imageType,
        size: input.size,
        upload_request: input.upload ? { type: input.upload, options: {} } : undefined,
      }),
    ],
    customizations: Object.keys(customizations).length ? customizations : undefined,
  });
}
