/**
 * The Blueprint: what the user wants in the image, in the shape composer-cli users know (TOML/JSON blueprints,
 * github.com/osbuild/blueprint). API `customizations` are converted into a Blueprint
 * (from-api-customizations.ts) so one path feeds manifest generation.
 */
export interface BlueprintPackage {
  name: string;
  version?: string;
}

export interface BlueprintModule {
  name: string;
  stream?: string;
  version?: string;
}

export interface BlueprintContainer {
  source: string;
  name?: string;
  'tls-verify'?: boolean;
  'local-storage'?: boolean;
}

export interface BlueprintFile {
  path: string;
  mode?: string;
  user?: string | number;
  group?: string | number;
  /** Text, or the exact bytes when the API request sent them base64-encoded (binary content must not pass through UTF-8). */
  data?: string | Uint8Array;
}

export interface BlueprintDirectory {
  path: string;
  mode?: string;
  user?: string | number;
  group?: string | number;
  ensure_parents?: boolean;
}

export interface BlueprintUser {
  name: string;
  description?: string;
  password?: string;
  key?: string;
  home?: string;
  shell?: string;
  groups?: string[];
  uid?: number;
  gid?: number;
  expiredate?: number;
  force_password_reset?: boolean;
}

export interface BlueprintGroup {
  name: string;
  gid?: number;
}

export interface BlueprintFilesystem {
  mountpoint: string;
  /** Bytes (number) or a size with unit ("500 MiB", "1GiB") as composer accepts. */
  minsize: number | string;
}

export interface BlueprintRepository {
  id: string;
  name?: string;
  filename?: string;
  baseurls?: string[];
  mirrorlist?: string;
  metalink?: string;
  gpgkeys?: string[];
  gpgcheck?: boolean;
  repo_gpgcheck?: boolean;
  enabled?: boolean;
  priority?: number;
  sslverify?: boolean;
  module_hotfixes?: boolean;
  /** Only used for depsolving, not written to /etc/yum.repos.d. */
  install_from?: boolean;
}

export interface BlueprintDiskPartition {
  type?: 'plain' | 'lvm' | 'btrfs';
  part_type?: string;
  mountpoint?: string;
  label?: string;
  fs_type?: string;
  minsize?: number | string;
  name?: string;
  logical_volumes?: { name?: string; mountpoint?: string; label?: string; fs_type?: string; minsize?: number | string }[];
  subvolumes?: { name: string; mountpoint: string }[];
}

export interface BlueprintCustomizations {
  hostname?: string;
  kernel?: { name?: string; append?: string };
  sshkey?: { user: string; key: string }[];
  user?: BlueprintUser[];
  group?: BlueprintGroup[];
  timezone?: { timezone?: string; ntpservers?: string[] };
  locale?: { languages?: string[]; keyboard?: string };
  firewall?: {
    ports?: string[];
    services?: { enabled?: string[]; disabled?: string[] };
    zones?: { name?: string; sources?: string[] }[];
  };
  services?: { enabled?: string[]; disabled?: string[]; masked?: string[] };
  filesystem?: BlueprintFilesystem[];
  disk?: { type?: 'gpt' | 'dos'; minsize?: number | string; partitions: BlueprintDiskPartition[] };
  partitioning_mode?: 'raw' | 'lvm' | 'auto-lvm';
  installation_device?: string;
  fdo?: Record<string, unknown>;
  openscap?: { datastream?: string; profile_id: string; policy_id?: string; tailoring?: Record<string, unknown> };
  ignition?: Record<string, unknown>;
  directories?: BlueprintDirectory[];
  files?: BlueprintFile[];
  repositories?: BlueprintRepository[];
  fips?: boolean;
  installer?: Record<string, unknown>;
  rpm?: { import_keys?: { files?: string[] } };
  rhsm?: Record<string, unknown>;
  cacerts?: { pem_certs: string[] };
  sshd?: { PasswordAuthentication?: boolean; KbdInteractiveAuthentication?: boolean; ClientAliveInterval?: number; PermitRootLogin?: string };
  dnf?: Record<string, unknown>;
  containers_storage?: { destination_path?: string };
}

export interface Blueprint {
  name?: string;
  description?: string;
  version?: string;
  distro?: string;
  arch?: string;
  packages: BlueprintPackage[];
  modules?: BlueprintModule[];
  enabled_modules?: { name: string; stream: string }[];
  groups: { name: string }[];
  containers?: BlueprintContainer[];
  customizations: BlueprintCustomizations;
}

export const emptyBlueprint = (): Blueprint => ({ packages: [], groups: [], customizations: {} });
