/** A small declarative description of the blueprint structure, used to type-check input and report unknown keys. */
export type Shape =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'size'
  | 'id'
  | 'any'
  | { array: Shape }
  | { object: Record<string, Shape>; open?: boolean };

const str: Shape = 'string';
const strs: Shape = { array: 'string' };

const repository: Shape = {
  object: {
    id: str, name: str, filename: str, baseurls: strs, mirrorlist: str, metalink: str, gpgkeys: strs, gpgcheck: 'boolean',
    repo_gpgcheck: 'boolean', enabled: 'boolean', priority: 'integer', sslverify: 'boolean', module_hotfixes: 'boolean',
    install_from: 'boolean',
  },
};

const diskPartition: Shape = {
  object: {
    type: str, part_type: str, part_uuid: str, part_label: str, mountpoint: str, label: str, fs_type: str, minsize: 'size', name: str,
    logical_volumes: { array: { object: { name: str, mountpoint: str, label: str, fs_type: str, minsize: 'size' } } },
    subvolumes: { array: { object: { name: str, mountpoint: str } } },
  },
};

export const CUSTOMIZATIONS_SHAPE: Shape = {
  object: {
    hostname: str,
    kernel: { object: { name: str, append: str } },
    sshkey: { array: { object: { user: str, key: str } } },
    user: {
      array: {
        object: {
          name: str, description: str, password: str, key: str, home: str, shell: str, groups: strs, uid: 'integer', gid: 'integer',
          expiredate: 'integer', force_password_reset: 'boolean',
        },
      },
    },
    group: { array: { object: { name: str, gid: 'integer' } } },
    timezone: { object: { timezone: str, ntpservers: strs } },
    locale: { object: { languages: strs, keyboard: str } },
    firewall: {
      object: {
        ports: strs,
        services: { object: { enabled: strs, disabled: strs } },
        zones: { array: { object: { name: str, sources: strs } } },
      },
    },
    services: { object: { enabled: strs, disabled: strs, masked: strs } },
    // `size` is composer's older name for `minsize` (still read by osbuild/blueprint).
    filesystem: { array: { object: { mountpoint: str, minsize: 'size', size: 'size' } } },
    disk: { object: { type: str, minsize: 'size', partitions: { array: diskPartition } } },
    partitioning_mode: str,
    installation_device: str,
    fdo: { object: {}, open: true },
    openscap: { object: {}, open: true },
    ignition: { object: {}, open: true },
    directories: { array: { object: { path: str, mode: str, user: 'id', group: 'id', ensure_parents: 'boolean' } } },
    files: { array: { object: { path: str, mode: str, user: 'id', group: 'id', data: str } } },
    repositories: { array: repository },
    fips: 'boolean',
    installer: { object: {}, open: true },
    rpm: { object: { import_keys: { object: { files: strs } } } },
    rhsm: { object: {}, open: true },
    cacerts: { object: { pem_certs: strs } },
    sshd: { object: { PasswordAuthentication: 'boolean', KbdInteractiveAuthentication: 'boolean', ClientAliveInterval: 'integer', PermitRootLogin: str } },
    dnf: { object: {}, open: true },
    // upstream spells it `containers-storage` / `destination-path`; the underscore form is kept for older files.
    'containers-storage': { object: { 'destination-path': str } },
    containers_storage: { object: { destination_path: str } },
  },
};

export const BLUEPRINT_SHAPE: Shape = {
  object: {
    name: str,
    description: str,
    version: str,
    distro: str,
    // osbuild/blueprint's key is `architecture`; `arch` is this project's older spelling.
    architecture: str,
    arch: str,
    packages: { array: { object: { name: str, version: str } } },
    modules: { array: { object: { name: str, version: str, stream: str } } },
    enabled_modules: { array: { object: { name: str, stream: str } } },
    groups: { array: { object: { name: str } } },
    containers: { array: { object: { source: str, name: str, 'tls-verify': 'boolean', 'local-storage': 'boolean' } } },
    customizations: CUSTOMIZATIONS_SHAPE,
  },
};

export interface ShapeIssue {
  field: string;
  message: string;
}

const typeName = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Checks `value` against `shape`; returns type errors and the unknown keys (with their paths) separately. */
export function checkShape(value: unknown, shape: Shape, field: string, unknown: string[], errors: ShapeIssue[]): void {
  if (shape === 'any') return;
  if (typeof shape === 'string') {
    const ok =
      (shape === 'string' && typeof value === 'string') ||
      (shape === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (shape === 'integer' && Number.isSafeInteger(value)) ||
      (shape === 'boolean' && typeof value === 'boolean') ||
      (shape === 'size' && (Number.isSafeInteger(value) || typeof value === 'string')) ||
      (shape === 'id' && (typeof value === 'string' || Number.isSafeInteger(value)));
    if (!ok) errors.push({ field, message: `expected ${shape === 'id' ? 'a name or a numeric id' : shape === 'size' ? 'a size (bytes or "1 GiB")' : `a ${shape}`}, got ${typeName(value)}` });
    return;
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) {
      errors.push({ field, message: `expected an array, got ${typeName(value)}` });
      return;
    }
    value.forEach((item, i) => checkShape(item, shape.array, `${field}[${i}]`, unknown, errors));
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({ field, message: `expected an object, got ${typeName(value)}` });
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const sub = shape.object[key];
    const path = field ? `${field}.${key}` : key;
    if (!sub) {
      if (!shape.open) unknown.push(path);
      continue;
    }
    if (v === null || v === undefined) continue;
    checkShape(v, sub, path, unknown, errors);
  }
}
