/** Shapes of the upstream image definition data (`*.json` next to this file, generated from osbuild/images YAML). */
export interface When {
  distro_name?: string;
  not_distro_name?: string;
  arch?: string;
  version_less_than?: string;
  version_greater_or_equal?: string;
  version_equal?: string;
}

export interface PackageSetDef {
  include?: string[];
  exclude?: string[];
  conditions?: Record<string, { when: When; append?: { include?: string[]; exclude?: string[] } }>;
}

export interface PlatformDef {
  arch: string;
  bootloader?: string;
  uefi_vendor?: string;
  bios_platform?: string;
  image_format?: string;
  qcow2_compat?: string;
  zipl_support?: boolean;
  packages?: Record<string, string[]>;
  build_packages?: Record<string, string[]>;
  boot_files?: { src: string; dst: string }[];
}

export interface PayloadDef {
  type?: string;
  mountpoint?: string;
  label?: string;
  uuid?: string;
  fstab_options?: string;
  fstab_freq?: number;
  fstab_passno?: number;
  name?: string;
  description?: string;
  logical_volumes?: { name?: string; size?: number; payload_type?: string; payload?: PayloadDef }[];
}

export interface PartitionDef {
  size?: number;
  type?: string;
  bootable?: boolean;
  uuid?: string;
  payload_type?: 'filesystem' | 'lvm' | 'btrfs' | 'luks';
  payload?: PayloadDef;
}

export interface PartitionTableDef {
  uuid?: string;
  type: 'gpt' | 'dos';
  size?: number;
  start_offset?: number;
  partitions: PartitionDef[];
}

export type ImageConfigDef = Record<string, unknown> & {
  conditions?: Record<string, { when: When; shallow_merge: Record<string, unknown> }>;
};

export interface ImageTypeDef {
  name_aliases?: string[];
  filename: string;
  mime_type: string;
  image_func: string;
  exports: string[];
  compression?: string;
  bootable?: boolean;
  default_size?: number;
  required_partition_sizes?: Record<string, number>;
  platforms: PlatformDef[];
  platforms_override?: { conditions: Record<string, { when: When; override: PlatformDef[] }> };
  partition_table?: Record<string, PartitionTableDef>;
  partition_tables_override?: { conditions: Record<string, { when: When; override: Record<string, PartitionTableDef> }> };
  image_config?: ImageConfigDef;
  package_sets?: { os?: PackageSetDef[] };
  environment?: { packages?: string[]; services?: string[] };
  disk_config?: { mount_configuration?: string; conditions?: Record<string, { when: When; shallow_merge: { mount_configuration?: string } }> };
  supported_options: string[];
}

export interface DefaultRepository {
  name: string;
  baseurl?: string;
  metalink?: string;
  mirrorlist?: string;
  gpgkeys: string[];
  check_gpg: boolean;
  /** Only used for these (upstream) image types, e.g. the Google repo for gce. */
  image_type_tags?: string[];
  /** The following come only from IBS_REPOSITORIES_DIR files (composer's repository format). */
  check_repo_gpg?: boolean;
  ignore_ssl?: boolean;
  module_hotfixes?: boolean;
  /** Only used for these package sets ("build", "os"). */
  package_sets?: string[];
}
