/** Path policies osbuild/images applies to blueprint paths (pkg/policies): longest matching prefix decides. */
export interface PathPolicy {
  deny?: boolean;
  /** Only the path itself is allowed, nothing below it. */
  exact?: boolean;
}

export type PathPolicies = Record<string, PathPolicy>;

export const MOUNTPOINT_POLICIES: PathPolicies = {
  '/': {},
  '/etc': { deny: true },
  '/usr': { exact: true },
  '/sys': { deny: true },
  '/proc': { deny: true },
  '/dev': { deny: true },
  '/run': { deny: true },
  '/bin': { deny: true },
  '/sbin': { deny: true },
  '/lib': { deny: true },
  '/lib64': { deny: true },
  '/lost+found': { deny: true },
  '/sysroot': { deny: true },
  '/var/run': { deny: true },
  '/var/lock': { deny: true },
};

const COMMON_DENIED = ['/bin', '/boot', '/dev', '/efi', '/lib', '/lib64', '/lost+found', '/proc', '/run', '/sbin', '/sys', '/sysroot', '/tmp', '/usr', '/var/run', '/var/tmp'];

export const DIRECTORY_POLICIES: PathPolicies = {
  '/': {},
  ...Object.fromEntries(COMMON_DENIED.map((p) => [p, { deny: true }])),
  '/usr/local': {},
};

export const FILE_POLICIES: PathPolicies = {
  ...DIRECTORY_POLICIES,
  '/etc/fstab': { deny: true },
  '/etc/group': { deny: true },
  '/etc/passwd': { deny: true },
  '/etc/shadow': { deny: true },
};

/** Returns why the path is not allowed, or undefined. */
export function checkPathPolicy(path: string, policies: PathPolicies): string | undefined {
  let match = '';
  for (const prefix of Object.keys(policies)) {
    const covers = prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
    if (covers && prefix.length > match.length) match = prefix;
  }
  if (!match) return 'is not in an allowed location';
  const policy = policies[match];
  if (policy.deny) return match === '/' ? 'is not allowed' : `is not allowed under ${match}`;
  if (policy.exact && path !== match) return `must be exactly ${match}, nothing below it`;
  return undefined;
}

/** Why a blueprint path is refused (canonical form, then the policy), or undefined: for every distribution alike. */
export const checkBlueprintPath = (path: string, policies: PathPolicies): string | undefined =>
  checkCanonicalPath(path) ?? checkPathPolicy(path, policies);

/** Absolute, normalized (no "." / ".." segments, no "//", no trailing "/"), printable. */
export function checkCanonicalPath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (/[\0-\x1f\x7f]/.test(path)) return 'must not contain control characters';
  if (path !== '/' && path.endsWith('/')) return 'must not end with "/"';
  if (path.includes('//')) return 'must not contain "//"';
  if (path.split('/').some((s) => s === '..' || s === '.')) return 'must not contain "." or ".." segments';
  return undefined;
}
