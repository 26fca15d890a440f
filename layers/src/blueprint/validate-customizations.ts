/**
 * Semantic validation of a Blueprint against what an image type supports, with upstream's rules: supported
 * options per image type, path policies for files/directories/mountpoints, user and group names, RFC 1123 host
 * names, sizes. Every failure is a ValidationError (HTTP 400) naming the offending field.
 */
import { ValidationError } from '../errors.ts';
import type { Blueprint } from './blueprint.ts';
import { CUSTOMIZATION_LIMITS, type CustomizationLimit, MAX_PATH_LENGTH, overLimitMessage } from './limits.ts';
import { checkCanonicalPath, checkPathPolicy, DIRECTORY_POLICIES, FILE_POLICIES, MOUNTPOINT_POLICIES, type PathPolicies } from './path-policy.ts';
import { parseSize } from './sizes.ts';

export interface ValidationContext {
  /** Upstream `supported_options` of the image type ("customizations.kernel", "customizations.kernel.name", "packages", ...). */
  supportedOptions: readonly string[];
  imageType: string;
  /** Partitioning modes the image type accepts ("" = default). */
  partitioningModes?: readonly string[];
  /** Name fields after the API (`users`, `groups`, `min_size`) rather than the blueprint (`user`, `group`, `minsize`). */
  apiFieldNames?: boolean;
}

// User and group names as the osbuild users/groups stages accept them; file owners as the chown stage and
// osbuild/images fsnode accept them (stricter: no "." in group names).
const USER_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,255}$/;
const GROUP_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}$/;
const OWNER_USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}$/;
const OWNER_GROUP = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/;
/** Crypted passwords as osbuild/images recognises them (crypt.PasswordIsCrypted); others are hashed by us. */
const CRYPTED = /^\$(2b|5|6)\$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVICE = /^[A-Za-z0-9:_.@\\-]+$/;
const MODE = /^0?[0-7]{3,4}$/;
// The osbuild firewall stage's pattern, without whitespace or a second ":" in the port part.
const PORT = /^[^\s:]+:(tcp|udp|sctp|dccp)$/;
const REPO_FILENAME = /^[A-Za-z0-9_.-]{1,250}\.repo$/;
const MAX_ID = 2 ** 32 - 2;

function fieldNamer(api: boolean): (f: string) => string {
  if (!api) return (f) => f;
  return (f) =>
    f
      .replace(/^customizations\.user\b/, 'customizations.users')
      .replace(/^customizations\.group\b/, 'customizations.groups')
      .replace(/\.minsize$/, '.min_size')
      .replace(/^customizations\.user(s?)\[(\d+)\]\.key$/, 'customizations.users[$2].ssh_key');
}

/** Keys of a blueprint that count as "set" for the supported-options check, in upstream's dotted form. */
function usedOptions(bp: Blueprint): string[] {
  const used: string[] = [];
  if (bp.packages.length) used.push('packages');
  if (bp.groups.length) used.push('groups');
  if (bp.modules?.length) used.push('modules');
  if (bp.enabled_modules?.length) used.push('enabled_modules');
  if (bp.containers?.length) used.push('containers');
  // Like upstream's validateSupportedConfig: empty lists and empty plain strings are not set.
  for (const [key, value] of Object.entries(bp.customizations)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    if ((key === 'partitioning_mode' || key === 'installation_device') && value === '') continue;
    if (key === 'kernel' && typeof value === 'object') {
      for (const [sub, v] of Object.entries(value)) if (v !== undefined && v !== '') used.push(`customizations.kernel.${sub}`);
      continue;
    }
    used.push(`customizations.${key}`);
  }
  return used;
}

function isSupported(option: string, supported: readonly string[]): boolean {
  // "customizations.kernel" allows "customizations.kernel.append"; a parent option covers its children.
  return supported.some((s) => option === s || option.startsWith(`${s}.`));
}

type Fail = (field: string, message: string) => never;

/** Every list a blueprint may carry, with its limit: checked first, so no later check runs over an unbounded list. */
function checkCounts(bp: Blueprint, fail: Fail): void {
  const c = bp.customizations;
  const lists: [string, readonly unknown[] | undefined, CustomizationLimit][] = [
    ['packages', bp.packages, 'packages'],
    ['groups', bp.groups, 'packages'],
    ['modules', bp.modules, 'enabled_modules'],
    ['enabled_modules', bp.enabled_modules, 'enabled_modules'],
    ['containers', bp.containers, 'containers'],
    ['customizations.files', c.files, 'files'],
    ['customizations.user', c.user, 'users'],
    ['customizations.sshkey', c.sshkey, 'users'],
    ['customizations.group', c.group, 'groups'],
    ['customizations.filesystem', c.filesystem, 'filesystem'],
    ['customizations.repositories', c.repositories, 'repositories'],
    ['customizations.services.enabled', c.services?.enabled, 'services'],
    ['customizations.services.disabled', c.services?.disabled, 'services'],
    ['customizations.services.masked', c.services?.masked, 'services'],
    ['customizations.firewall.ports', c.firewall?.ports, 'firewall'],
    ['customizations.firewall.services.enabled', c.firewall?.services?.enabled, 'firewall'],
    ['customizations.firewall.services.disabled', c.firewall?.services?.disabled, 'firewall'],
    ['customizations.timezone.ntpservers', c.timezone?.ntpservers, 'ntpservers'],
    ['customizations.locale.languages', c.locale?.languages, 'languages'],
    ['customizations.cacerts.pem_certs', c.cacerts?.pem_certs, 'pem_certs'],
  ];
  for (const [field, list, limit] of lists) {
    if (list && list.length > CUSTOMIZATION_LIMITS[limit]) fail(field, overLimitMessage(CUSTOMIZATION_LIMITS[limit], list.length));
  }
  // The API's ensure_parents adds at most one parent directory per file to the listed directories.
  const maxDirectories = CUSTOMIZATION_LIMITS.directories + CUSTOMIZATION_LIMITS.files;
  if (c.directories && c.directories.length > maxDirectories) fail('customizations.directories', overLimitMessage(maxDirectories, c.directories.length));
  c.user?.forEach((u, i) => {
    if (u.groups && u.groups.length > CUSTOMIZATION_LIMITS.user_groups) fail(`customizations.user[${i}].groups`, overLimitMessage(CUSTOMIZATION_LIMITS.user_groups, u.groups.length));
  });
  c.repositories?.forEach((r, i) => {
    for (const key of ['baseurls', 'gpgkeys'] as const) {
      const n = r[key]?.length ?? 0;
      if (n > CUSTOMIZATION_LIMITS.repository_urls) fail(`customizations.repositories[${i}].${key}`, overLimitMessage(CUSTOMIZATION_LIMITS.repository_urls, n));
    }
  });
}

/** Why a customized path is refused, or undefined: length (PATH_MAX), canonical form, then the path policy. */
function checkPath(path: string, policies: PathPolicies): string | undefined {
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters (PATH_MAX)`;
  return checkCanonicalPath(path) ?? checkPathPolicy(path, policies);
}

/**
 * A file that is the parent of another customized path, and that path. Sorted, the paths below "F/" form one run that
 * starts where "F/" would be inserted: a binary search per file (n log n, where comparing every pair took 34 s).
 */
export function findPathBelowFile(files: Iterable<string>, paths: readonly string[]): [string, string] | undefined {
  const sorted = [...paths].sort();
  for (const file of files) {
    const prefix = `${file}/`;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    if (sorted[lo]?.startsWith(prefix)) return [file, sorted[lo]];
  }
  return undefined;
}

export function validateBlueprint(bp: Blueprint, ctx: ValidationContext): void {
  const name = fieldNamer(ctx.apiFieldNames ?? false);
  const fail: Fail = (field, message) => {
    throw new ValidationError(name(field), message);
  };
  checkCounts(bp, fail);
  for (const option of usedOptions(bp)) {
    if (!isSupported(option, ctx.supportedOptions)) {
      const allowed = ctx.supportedOptions.filter((s) => s.startsWith('customizations.')).map((s) => s.slice('customizations.'.length));
      fail(option, `not supported by image type ${ctx.imageType} (supported customizations: ${allowed.join(', ') || 'none'})`);
    }
  }
  const c = bp.customizations;

  bp.packages.forEach((p, i) => {
    if (!p.name || /\s/.test(p.name)) fail(`packages[${i}].name`, `"${p.name}" is not a package name`);
  });

  if (c.hostname !== undefined && !HOSTNAME.test(c.hostname)) {
    fail('customizations.hostname', `"${c.hostname}" is not an RFC 1123 host name (letters, digits, "-" and "." labels of at most 63 characters, 253 in total)`);
  }

  if (c.kernel?.append !== undefined && /[\n\r\0]/.test(c.kernel.append)) fail('customizations.kernel.append', 'must be a single line');
  if (c.kernel?.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(c.kernel.name)) {
    fail('customizations.kernel.name', `"${c.kernel.name}" is not a package name`);
  }

  const groupNames = new Set<string>();
  const gids = new Set<number>();
  c.group?.forEach((g, i) => {
    if (!GROUP_NAME.test(g.name)) fail(`customizations.group[${i}].name`, `"${g.name}" is not a valid group name (letters, digits, "_", "." and "-", at most 32 characters, not starting with "-")`);
    if (groupNames.has(g.name)) fail(`customizations.group[${i}].name`, `duplicate group name: group "${g.name}" is defined twice`);
    groupNames.add(g.name);
    if (g.gid !== undefined && (!Number.isSafeInteger(g.gid) || g.gid < 0 || g.gid > MAX_ID)) fail(`customizations.group[${i}].gid`, `must be an integer between 0 and ${MAX_ID}`);
    if (g.gid !== undefined && gids.has(g.gid)) fail(`customizations.group[${i}].gid`, `duplicate group ID: ${g.gid} is used by two groups`);
    if (g.gid !== undefined) gids.add(g.gid);
  });

  const userNames = new Set<string>();
  c.user?.forEach((u, i) => {
    const f = `customizations.user[${i}]`;
    if (!USER_NAME.test(u.name)) fail(`${f}.name`, `"${u.name}" is not a valid user name (letters, digits, "_", "." and "-", at most 256 characters, not starting with "-"; no spaces or ":")`);
    if (userNames.has(u.name)) fail(`${f}.name`, `user "${u.name}" is defined twice`);
    userNames.add(u.name);
    for (const id of ['uid', 'gid'] as const) {
      const v = u[id];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || v > MAX_ID)) fail(`${f}.${id}`, `must be an integer between 0 and ${MAX_ID}`);
    }
    // useradd's own rules: an absolute path without ":" or newlines (a trailing "/" of home was dropped on input).
    for (const p of ['home', 'shell'] as const) {
      const v = u[p];
      if (v === undefined) continue;
      const why = !v.startsWith('/') ? 'must be an absolute path' : /[:\n\r\0]/.test(v) ? 'must not contain ":" or newlines' : undefined;
      if (why) fail(`${f}.${p}`, `"${v}" ${why}`);
    }
    if (u.description !== undefined && /[:\n]/.test(u.description)) fail(`${f}.description`, 'must not contain ":" or newlines');
    // A plain-text password is hashed (any character is fine); a crypted one is written to /etc/shadow as it is.
    if (u.password !== undefined && CRYPTED.test(u.password) && /[\n:]/.test(u.password)) fail(`${f}.password`, 'a crypted password must not contain ":" or newlines');
    if (u.key !== undefined && /[\0]/.test(u.key)) fail(`${f}.key`, 'must be text');
    u.groups?.forEach((g, j) => {
      if (!GROUP_NAME.test(g)) fail(`${f}.groups[${j}]`, `"${g}" is not a valid group name`);
    });
  });
  c.sshkey?.forEach((k, i) => {
    if (!USER_NAME.test(k.user)) fail(`customizations.sshkey[${i}].user`, `"${k.user}" is not a valid user name`);
  });

  if (c.timezone?.timezone !== undefined && !/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(c.timezone.timezone)) {
    fail('customizations.timezone.timezone', `"${c.timezone.timezone}" is not a time zone name like "Europe/Berlin"`);
  }
  c.timezone?.ntpservers?.forEach((s, i) => {
    if (!HOSTNAME.test(s) && !/^[0-9.:a-fA-F]+$/.test(s)) fail(`customizations.timezone.ntpservers[${i}]`, `"${s}" is not a host name or address`);
  });
  c.locale?.languages?.forEach((l, i) => {
    if (!/^[A-Za-z]{1,8}(_[A-Za-z0-9]+)?(\.[A-Za-z0-9-]+)?(@[A-Za-z0-9]+)?$/.test(l)) fail(`customizations.locale.languages[${i}]`, `"${l}" is not a locale like "en_US.UTF-8"`);
  });
  if (c.locale?.keyboard !== undefined && !/^[A-Za-z0-9_.-]+$/.test(c.locale.keyboard)) fail('customizations.locale.keyboard', `"${c.locale.keyboard}" is not a keymap name`);

  for (const kind of ['enabled', 'disabled', 'masked'] as const) {
    c.services?.[kind]?.forEach((s, i) => {
      if (!SERVICE.test(s)) fail(`customizations.services.${kind}[${i}]`, `"${s}" is not a systemd unit name`);
    });
  }
  c.firewall?.ports?.forEach((p, i) => {
    if (!PORT.test(p)) fail(`customizations.firewall.ports[${i}]`, `"${p}" is not "port:protocol" or "service:protocol" (e.g. "22:tcp", "8000-8080:udp")`);
    const nums = p.split(':')[0].split('-').map(Number);
    if (nums.every((n) => Number.isInteger(n)) && nums.some((n) => n < 1 || n > 65535)) fail(`customizations.firewall.ports[${i}]`, 'ports must be between 1 and 65535');
  });
  for (const kind of ['enabled', 'disabled'] as const) {
    c.firewall?.services?.[kind]?.forEach((s, i) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(s)) fail(`customizations.firewall.services.${kind}[${i}]`, `"${s}" is not a firewalld service name`);
    });
  }

  if (c.filesystem?.length && c.disk) fail('customizations.disk', 'cannot be used together with customizations.filesystem');
  const mountpoints = new Set<string>();
  c.filesystem?.forEach((fs, i) => {
    const f = `customizations.filesystem[${i}]`;
    const why = checkPath(fs.mountpoint, MOUNTPOINT_POLICIES);
    if (why) fail(`${f}.mountpoint`, `"${fs.mountpoint}" ${why} (allowed: / and paths below it except /etc, /sys, /proc, /dev, /run, /bin, /sbin, /lib, /lib64, /lost+found, /sysroot, /var/run, /var/lock; /usr only exactly)`);
    if (mountpoints.has(fs.mountpoint)) fail(`${f}.mountpoint`, `"${fs.mountpoint}" is listed twice`);
    mountpoints.add(fs.mountpoint);
    parseSize(fs.minsize, name(`${f}.minsize`));
  });
  if (c.partitioning_mode !== undefined && (c.partitioning_mode as string) !== '') {
    const modes = ctx.partitioningModes ?? ['', 'raw', 'lvm', 'auto-lvm'];
    if (!['raw', 'lvm', 'auto-lvm'].includes(c.partitioning_mode) || !modes.includes(c.partitioning_mode)) {
      fail('customizations.partitioning_mode', `"${c.partitioning_mode}" is not supported by image type ${ctx.imageType} (allowed: ${modes.filter(Boolean).join(', ')})`);
    }
  }

  const dirPaths = new Set<string>();
  c.directories?.forEach((d, i) => {
    const f = `customizations.directories[${i}]`;
    const why = checkPath(d.path, DIRECTORY_POLICIES);
    if (why) fail(`${f}.path`, `"${d.path}" ${why}`);
    if (d.path === '/') fail(`${f}.path`, '"/" cannot be created');
    if (dirPaths.has(d.path)) fail(`${f}.path`, `"${d.path}" is listed twice`);
    dirPaths.add(d.path);
    if (d.mode !== undefined && !MODE.test(d.mode)) fail(`${f}.mode`, `"${d.mode}" is not an octal mode like "0755"`);
    checkOwner(d.user, `${f}.user`, OWNER_USER, fail);
    checkOwner(d.group, `${f}.group`, OWNER_GROUP, fail);
  });
  const filePaths = new Set<string>();
  c.files?.forEach((file, i) => {
    const f = `customizations.files[${i}]`;
    const why = checkPath(file.path, FILE_POLICIES);
    if (why) fail(`${f}.path`, `"${file.path}" ${why}`);
    if (filePaths.has(file.path) || dirPaths.has(file.path)) fail(`${f}.path`, `"${file.path}" is listed twice`);
    filePaths.add(file.path);
    if (file.mode !== undefined && !MODE.test(file.mode)) fail(`${f}.mode`, `"${file.mode}" is not an octal mode like "0644"`);
    checkOwner(file.user, `${f}.user`, OWNER_USER, fail);
    checkOwner(file.group, `${f}.group`, OWNER_GROUP, fail);
  });
  // A file must not be a parent of another customized path.
  const below = findPathBelowFile(filePaths, [...filePaths, ...dirPaths]);
  if (below) fail('customizations.files', `"${below[0]}" is a file but "${below[1]}" is below it`);

  // Ids are unique per role: the hosted frontend sends a repository as both a payload (install_from) and a custom one.
  const repoIds = new Set<string>();
  c.repositories?.forEach((r, i) => {
    const f = `customizations.repositories[${i}]`;
    if (!/^[A-Za-z0-9_.:-]+$/.test(r.id)) fail(`${f}.id`, `"${r.id}" is not a repository id (letters, digits, "_", ".", ":" and "-")`);
    const key = `${r.install_from ? 'payload' : 'custom'}:${r.id}`;
    if (repoIds.has(key)) fail(`${f}.id`, `repository "${r.id}" is defined twice`);
    repoIds.add(key);
    if (!r.baseurls?.length && !r.mirrorlist && !r.metalink) fail(f, 'one of baseurls, mirrorlist or metalink is required');
    for (const [j, u] of (r.baseurls ?? []).entries()) {
      if (!/^(https?|ftp|file):\/\/\S+$/.test(u)) fail(`${f}.baseurls[${j}]`, `"${u}" is not a URL`);
    }
    // upstream's getFilename: the id names the file when no filename is given (".repo" was appended on input).
    const filename = r.filename ?? `${r.id}.repo`;
    if (!REPO_FILENAME.test(filename)) fail(`${f}.${r.filename === undefined ? 'id' : 'filename'}`, `repository filename "${filename}" is invalid (letters, digits, "_", "." and "-", ending in .repo)`);
    if (r.gpgcheck && !r.gpgkeys?.length) fail(`${f}.gpgkeys`, 'gpgcheck is on but no GPG key is given');
    r.gpgkeys?.forEach((k, j) => {
      // upstream: an armored key, or anything url.ParseRequestURI accepts (an absolute URI or an absolute path)
      if (!k.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') && !/^([A-Za-z][A-Za-z0-9+.-]*:|\/)\S*$/.test(k.trim())) fail(`${f}.gpgkeys[${j}]`, 'must be an armored public key or a URL');
    });
  });
  c.cacerts?.pem_certs.forEach((pem, i) => {
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) fail(`customizations.cacerts.pem_certs[${i}]`, 'is not a PEM certificate');
  });
}

function checkOwner(v: string | number | undefined, field: string, pattern: RegExp, fail: Fail): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_ID) fail(field, `must be a name or an id between 0 and ${MAX_ID}`);
    return;
  }
  if (!pattern.test(v)) fail(field, `"${v}" is not a valid name`);
}
