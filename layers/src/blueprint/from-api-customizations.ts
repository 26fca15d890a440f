/**
 * Converts Image Builder API `customizations` (api.yaml `Customizations`) into the composer Blueprint shape, so the
 * API and blueprint files share one validation and manifest path. Structural mistakes raise a ValidationError naming
 * the API field; semantic checks (paths, names, sizes) happen in validate-customizations.ts against the blueprint.
 */
import { ValidationError } from '../errors.ts';
import type { Blueprint, BlueprintCustomizations, BlueprintDirectory, BlueprintFile, BlueprintRepository } from './blueprint.ts';
import { normalizeBlueprint } from './normalize-blueprint.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new ValidationError(field, 'expected an object');
  return v;
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new ValidationError(field, 'expected an array');
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ValidationError(field, 'expected a string');
  return v;
}

function optStr(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, field);
}

function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ValidationError(field, 'expected a boolean');
  return v;
}

function optInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Number.isSafeInteger(v)) throw new ValidationError(field, 'expected an integer');
  return v as number;
}

function optStrs(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return arr(v, field).map((s, i) => str(s, `${field}[${i}]`));
}

function id(v: unknown, field: string): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || Number.isSafeInteger(v)) return v as string | number;
  throw new ValidationError(field, 'expected a name or a numeric id');
}

function onlyKeys(o: Obj, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new ValidationError(`${field}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

const omitUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const API_KEYS = [
  'containers', 'directories', 'files', 'subscription', 'packages', 'enabled_modules', 'payload_repositories', 'custom_repositories',
  'openscap', 'filesystem', 'disk', 'users', 'services', 'hostname', 'kernel', 'groups', 'timezone', 'locale', 'firewall',
  'installation_device', 'fdo', 'ignition', 'partitioning_mode', 'fips', 'installer', 'cacerts', 'aap_registration',
] as const;

function convertFile(v: unknown, field: string): { file: BlueprintFile; parent?: BlueprintDirectory } {
  const f = obj(v, field);
  onlyKeys(f, ['path', 'mode', 'user', 'group', 'data', 'data_encoding', 'ensure_parents'], field);
  const path = str(f.path, `${field}.path`);
  const text = optStr(f.data, `${field}.data`);
  let data: string | Uint8Array | undefined = text;
  const encoding = optStr(f.data_encoding, `${field}.data_encoding`) ?? 'plain';
  if (encoding !== 'plain' && encoding !== 'base64') throw new ValidationError(`${field}.data_encoding`, 'must be "plain" or "base64"');
  if (text !== undefined && encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/\s+/g, ''))) throw new ValidationError(`${field}.data`, 'not valid base64');
    // The bytes themselves: decoding them as UTF-8 text turned every invalid sequence into U+FFFD.
    data = new Uint8Array(Buffer.from(text, 'base64'));
  }
  const file: BlueprintFile = omitUndefined({
    path,
    mode: optStr(f.mode, `${field}.mode`),
    user: id(f.user, `${field}.user`),
    group: id(f.group, `${field}.group`),
    data,
  });
  const ensureParents = optBool(f.ensure_parents, `${field}.ensure_parents`);
  const dir = path.slice(0, path.lastIndexOf('/'));
  return { file, parent: ensureParents && dir ? { path: dir, ensure_parents: true } : undefined };
}

function convertDirectory(v: unknown, field: string): BlueprintDirectory {
  const d = obj(v, field);
  onlyKeys(d, ['path', 'mode', 'user', 'group', 'ensure_parents'], field);
  return omitUndefined({
    path: str(d.path, `${field}.path`),
    mode: optStr(d.mode, `${field}.mode`),
    user: id(d.user, `${field}.user`),
    group: id(d.group, `${field}.group`),
    ensure_parents: optBool(d.ensure_parents, `${field}.ensure_parents`),
  });
}

function convertPayloadRepository(v: unknown, field: string, index: number): BlueprintRepository {
  const r = obj(v, field);
  onlyKeys(r, ['id', 'rhsm', 'baseurl', 'mirrorlist', 'metalink', 'gpgkey', 'check_gpg', 'check_repo_gpg', 'ignore_ssl', 'module_hotfixes'], field);
  const baseurl = optStr(r.baseurl, `${field}.baseurl`);
  // rhsm: the host's subscription certificates authenticate the downloads upstream; there are none here
  if (optBool(r.rhsm, `${field}.rhsm`)) throw new ValidationError(`${field}.rhsm`, 'Red Hat subscription (RHSM) repositories are not available in this service; use rhsm: false');
  const repo: BlueprintRepository = omitUndefined({
    id: optStr(r.id, `${field}.id`) ?? `payload-${index}`,
    baseurls: baseurl ? [baseurl] : undefined,
    mirrorlist: optStr(r.mirrorlist, `${field}.mirrorlist`),
    metalink: optStr(r.metalink, `${field}.metalink`),
    gpgkeys: r.gpgkey !== undefined ? [str(r.gpgkey, `${field}.gpgkey`)] : undefined,
    gpgcheck: optBool(r.check_gpg, `${field}.check_gpg`),
    repo_gpgcheck: optBool(r.check_repo_gpg, `${field}.check_repo_gpg`),
    sslverify: r.ignore_ssl === undefined ? undefined : !optBool(r.ignore_ssl, `${field}.ignore_ssl`),
    module_hotfixes: optBool(r.module_hotfixes, `${field}.module_hotfixes`),
    install_from: true,
  });
  if (!repo.baseurls && !repo.mirrorlist && !repo.metalink) {
    // upstream resolves an id alone through the content-sources service, which does not exist here
    throw new ValidationError(field, `one of baseurl, mirrorlist or metalink is required${r.id !== undefined ? ' (a content-sources repository id alone cannot be resolved here)' : ''}`);
  }
  return repo;
}

function convertCustomRepository(v: unknown, field: string): BlueprintRepository {
  const r = obj(v, field);
  onlyKeys(r, ['id', 'name', 'filename', 'baseurl', 'mirrorlist', 'metalink', 'gpgkey', 'check_gpg', 'check_repo_gpg', 'enabled', 'priority', 'ssl_verify', 'module_hotfixes'], field);
  const repo: BlueprintRepository = omitUndefined({
    id: str(r.id, `${field}.id`),
    name: optStr(r.name, `${field}.name`),
    filename: optStr(r.filename, `${field}.filename`),
    baseurls: optStrs(r.baseurl, `${field}.baseurl`),
    mirrorlist: optStr(r.mirrorlist, `${field}.mirrorlist`),
    metalink: optStr(r.metalink, `${field}.metalink`),
    gpgkeys: optStrs(r.gpgkey, `${field}.gpgkey`),
    gpgcheck: optBool(r.check_gpg, `${field}.check_gpg`),
    repo_gpgcheck: optBool(r.check_repo_gpg, `${field}.check_repo_gpg`),
    enabled: optBool(r.enabled, `${field}.enabled`),
    priority: optInt(r.priority, `${field}.priority`),
    sslverify: optBool(r.ssl_verify, `${field}.ssl_verify`),
    module_hotfixes: optBool(r.module_hotfixes, `${field}.module_hotfixes`),
  });
  if (!repo.baseurls?.length && !repo.mirrorlist && !repo.metalink) {
    throw new ValidationError(field, 'one of baseurl, mirrorlist or metalink is required');
  }
  return repo;
}

/** API `customizations` (may be undefined) → Blueprint. */
export function blueprintFromApiCustomizations(customizations: unknown, field = 'customizations'): Blueprint {
  const blueprint: Blueprint = { packages: [], groups: [], customizations: {} };
  if (customizations === undefined || customizations === null) return blueprint;
  const c = obj(customizations, field);
  onlyKeys(c, API_KEYS, field);
  const out: BlueprintCustomizations = blueprint.customizations;

  (optStrs(c.packages, `${field}.packages`) ?? []).forEach((name) => {
    if (name.startsWith('@')) blueprint.groups.push({ name: name.slice(1) });
    else blueprint.packages.push({ name });
  });
  if (c.enabled_modules !== undefined) {
    blueprint.enabled_modules = arr(c.enabled_modules, `${field}.enabled_modules`).map((m, i) => {
      const f = `${field}.enabled_modules[${i}]`;
      const o = obj(m, f);
      onlyKeys(o, ['name', 'stream'], f);
      return { name: str(o.name, `${f}.name`), stream: str(o.stream, `${f}.stream`) };
    });
  }
  if (c.containers !== undefined) {
    blueprint.containers = arr(c.containers, `${field}.containers`).map((v, i) => {
      const f = `${field}.containers[${i}]`;
      const o = obj(v, f);
      onlyKeys(o, ['source', 'name', 'tls_verify'], f);
      return omitUndefined({ source: str(o.source, `${f}.source`), name: optStr(o.name, `${f}.name`), 'tls-verify': optBool(o.tls_verify, `${f}.tls_verify`) });
    });
  }
  if (c.hostname !== undefined) out.hostname = str(c.hostname, `${field}.hostname`);
  if (c.kernel !== undefined) {
    const k = obj(c.kernel, `${field}.kernel`);
    onlyKeys(k, ['name', 'append'], `${field}.kernel`);
    out.kernel = omitUndefined({ name: optStr(k.name, `${field}.kernel.name`), append: optStr(k.append, `${field}.kernel.append`) });
  }
  if (c.users !== undefined) {
    out.user = arr(c.users, `${field}.users`).map((v, i) => {
      const f = `${field}.users[${i}]`;
      const u = obj(v, f);
      // uid, gid, home, shell and description are this service's extensions (documented in openapi.yaml). A user
      // without password and ssh_key is a locked account, as osbuild-composer and the hosted service accept.
      onlyKeys(u, ['name', 'groups', 'ssh_key', 'password', 'hasPassword', 'uid', 'gid', 'home', 'shell', 'description'], f);
      return omitUndefined({
        name: str(u.name, `${f}.name`),
        groups: optStrs(u.groups, `${f}.groups`),
        key: optStr(u.ssh_key, `${f}.ssh_key`),
        password: optStr(u.password, `${f}.password`) || undefined,
        uid: optInt(u.uid, `${f}.uid`),
        gid: optInt(u.gid, `${f}.gid`),
        home: optStr(u.home, `${f}.home`),
        shell: optStr(u.shell, `${f}.shell`),
        description: optStr(u.description, `${f}.description`),
      });
    });
  }
  if (c.groups !== undefined) {
    out.group = arr(c.groups, `${field}.groups`).map((v, i) => {
      const f = `${field}.groups[${i}]`;
      const g = obj(v, f);
      onlyKeys(g, ['name', 'gid'], f);
      return omitUndefined({ name: str(g.name, `${f}.name`), gid: optInt(g.gid, `${f}.gid`) });
    });
  }
  if (c.timezone !== undefined) {
    const t = obj(c.timezone, `${field}.timezone`);
    onlyKeys(t, ['timezone', 'ntpservers'], `${field}.timezone`);
    out.timezone = omitUndefined({ timezone: optStr(t.timezone, `${field}.timezone.timezone`), ntpservers: optStrs(t.ntpservers, `${field}.timezone.ntpservers`) });
  }
  if (c.locale !== undefined) {
    const l = obj(c.locale, `${field}.locale`);
    onlyKeys(l, ['languages', 'keyboard'], `${field}.locale`);
    out.locale = omitUndefined({ languages: optStrs(l.languages, `${field}.locale.languages`), keyboard: optStr(l.keyboard, `${field}.locale.keyboard`) });
  }
  if (c.firewall !== undefined) {
    const fw = obj(c.firewall, `${field}.firewall`);
    onlyKeys(fw, ['ports', 'services'], `${field}.firewall`);
    let services: { enabled?: string[]; disabled?: string[] } | undefined;
    if (fw.services !== undefined) {
      const s = obj(fw.services, `${field}.firewall.services`);
      onlyKeys(s, ['enabled', 'disabled'], `${field}.firewall.services`);
      services = omitUndefined({ enabled: optStrs(s.enabled, `${field}.firewall.services.enabled`), disabled: optStrs(s.disabled, `${field}.firewall.services.disabled`) });
    }
    out.firewall = omitUndefined({ ports: optStrs(fw.ports, `${field}.firewall.ports`), services });
  }
  if (c.services !== undefined) {
    const s = obj(c.services, `${field}.services`);
    onlyKeys(s, ['enabled', 'disabled', 'masked'], `${field}.services`);
    out.services = omitUndefined({
      enabled: optStrs(s.enabled, `${field}.services.enabled`),
      disabled: optStrs(s.disabled, `${field}.services.disabled`),
      masked: optStrs(s.masked, `${field}.services.masked`),
    });
  }
  if (c.filesystem !== undefined) {
    out.filesystem = arr(c.filesystem, `${field}.filesystem`).map((v, i) => {
      const f = `${field}.filesystem[${i}]`;
      const fs = obj(v, f);
      onlyKeys(fs, ['mountpoint', 'min_size'], f);
      const minSize = fs.min_size;
      if (!(typeof minSize === 'string' || Number.isSafeInteger(minSize))) throw new ValidationError(`${f}.min_size`, 'expected a size in bytes');
      return { mountpoint: str(fs.mountpoint, `${f}.mountpoint`), minsize: minSize as number | string };
    });
  }
  if (c.disk !== undefined) out.disk = obj(c.disk, `${field}.disk`) as unknown as BlueprintCustomizations['disk'];
  if (c.partitioning_mode !== undefined) out.partitioning_mode = str(c.partitioning_mode, `${field}.partitioning_mode`) as BlueprintCustomizations['partitioning_mode'];
  if (c.installation_device !== undefined) out.installation_device = str(c.installation_device, `${field}.installation_device`);
  if (c.fips !== undefined) {
    const f = obj(c.fips, `${field}.fips`);
    onlyKeys(f, ['enabled'], `${field}.fips`);
    out.fips = optBool(f.enabled, `${field}.fips.enabled`) ?? false;
  }
  if (c.directories !== undefined) {
    out.directories = arr(c.directories, `${field}.directories`).map((v, i) => convertDirectory(v, `${field}.directories[${i}]`));
  }
  if (c.files !== undefined) {
    const files = arr(c.files, `${field}.files`).map((v, i) => convertFile(v, `${field}.files[${i}]`));
    out.files = files.map((f) => f.file);
    // One parent directory per distinct path not listed already (a Set: comparing every pair was quadratic).
    const listed = new Set((out.directories ?? []).map((d) => d.path));
    const parents = files.flatMap((f) => (f.parent && !listed.has(f.parent.path) && listed.add(f.parent.path) ? [f.parent] : []));
    if (parents.length) out.directories = [...(out.directories ?? []), ...parents];
  }
  const repositories: BlueprintRepository[] = [];
  if (c.custom_repositories !== undefined) {
    arr(c.custom_repositories, `${field}.custom_repositories`).forEach((v, i) => repositories.push(convertCustomRepository(v, `${field}.custom_repositories[${i}]`)));
  }
  if (c.payload_repositories !== undefined) {
    arr(c.payload_repositories, `${field}.payload_repositories`).forEach((v, i) =>
      repositories.push(convertPayloadRepository(v, `${field}.payload_repositories[${i}]`, i)),
    );
  }
  if (repositories.length) out.repositories = repositories;
  if (c.cacerts !== undefined) {
    const ca = obj(c.cacerts, `${field}.cacerts`);
    onlyKeys(ca, ['pem_certs'], `${field}.cacerts`);
    out.cacerts = { pem_certs: optStrs(ca.pem_certs, `${field}.cacerts.pem_certs`) ?? [] };
  }
  if (c.openscap !== undefined) {
    const o = obj(c.openscap, `${field}.openscap`);
    if (o.profile_id !== undefined) out.openscap = { profile_id: str(o.profile_id, `${field}.openscap.profile_id`) };
    else throw new ValidationError(`${field}.openscap.policy_id`, 'compliance policies need the Insights Compliance service (RHEL only); use profile_id');
  }
  if (c.fdo !== undefined) out.fdo = obj(c.fdo, `${field}.fdo`);
  if (c.ignition !== undefined) out.ignition = obj(c.ignition, `${field}.ignition`);
  if (c.installer !== undefined) out.installer = obj(c.installer, `${field}.installer`);
  if (c.subscription !== undefined) {
    throw new ValidationError(`${field}.subscription`, 'Red Hat subscription registration is only available for RHEL images, not for the distributions this service builds');
  }
  if (c.aap_registration !== undefined) {
    throw new ValidationError(`${field}.aap_registration`, 'Ansible Automation Platform registration is not supported by this service');
  }
  return normalizeBlueprint(blueprint, field);
}
