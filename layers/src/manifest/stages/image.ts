import type { Device, Input, Mount, Stage } from '../manifest.ts';

export const truncateStage = (filename: string, size: number): Stage => ({
  type: 'org.osbuild.truncate',
  options: { filename, size: String(size) },
});

export interface SfdiskPartition {
  bootable?: boolean;
  /** Sectors. */
  start: number;
  /** Sectors. */
  size: number;
  type: string;
  uuid?: string;
  name?: string;
}
export const sfdiskStage = (label: string, uuid: string | undefined, partitions: SfdiskPartition[], device: Device): Stage => ({
  type: 'org.osbuild.sfdisk',
  options: { label, ...(uuid ? { uuid } : {}), partitions },
  devices: { device },
});

export const lvm2CreateStage = (volumes: { name: string; size: string }[], devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.lvm2.create',
  options: { volumes },
  devices,
});

export const lvm2MetadataStage = (vgName: string, devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.lvm2.metadata',
  options: { vg_name: vgName },
  devices,
});

export const mkfsXfsStage = (uuid: string, label: string | undefined, devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.mkfs.xfs',
  options: { uuid, ...(label ? { label } : {}) },
  devices,
});

export const mkfsExt4Stage = (uuid: string, label: string | undefined, devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.mkfs.ext4',
  options: { uuid, ...(label ? { label } : {}) },
  devices,
});

/** FAT volume ids have no dash in the stage (the fstab uses XXXX-XXXX). */
export const mkfsFatStage = (volid: string, label: string | undefined, devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.mkfs.fat',
  options: { volid: volid.replace('-', ''), ...(label ? { label } : {}) },
  devices,
});

export const mkfsBtrfsStage = (uuid: string, label: string | undefined, devices: Record<string, Device>): Stage => ({
  type: 'org.osbuild.mkfs.btrfs',
  options: { uuid, ...(label ? { label } : {}) },
  devices,
});

export const btrfsSubvolStage = (subvolumes: string[], devices: Record<string, Device>, mounts: Mount[]): Stage => ({
  type: 'org.osbuild.btrfs.subvol',
  options: { subvolumes: subvolumes.map((name) => ({ name })) },
  devices,
  mounts,
});

export const copyTreeStage = (
  inputs: Record<string, Input>,
  paths: { from: string; to: string }[],
  devices?: Record<string, Device>,
  mounts?: Mount[],
): Stage => ({
  type: 'org.osbuild.copy',
  inputs,
  options: { paths },
  ...(devices ? { devices } : {}),
  ...(mounts ? { mounts } : {}),
});

export type QemuFormat =
  | { type: 'qcow2'; compat?: string }
  | { type: 'vpc'; force_size?: boolean }
  | { type: 'vmdk'; subformat?: string };

export const qemuStage = (filename: string, format: QemuFormat, image: Input): Stage => ({
  type: 'org.osbuild.qemu',
  inputs: { image },
  options: { filename, format },
});

export const xzStage = (filename: string, file: Input): Stage => ({ type: 'org.osbuild.xz', inputs: { file }, options: { filename } });

export const zstdStage = (filename: string, file: Input): Stage => ({ type: 'org.osbuild.zstd', inputs: { file }, options: { filename } });

export interface TarOptions {
  filename: string;
  format?: 'gnu' | 'oldgnu' | 'posix' | 'ustar' | 'v7';
  compression?: 'auto' | 'xz' | 'gzip' | 'zstd';
  acls?: boolean;
  selinux?: boolean;
  xattrs?: boolean;
  'root-node'?: 'include' | 'omit';
  paths?: string[];
  transform?: string;
  'numeric-owner'?: boolean;
}
export const tarStage = (tree: Input, options: TarOptions): Stage => ({ type: 'org.osbuild.tar', inputs: { tree }, options: { ...options } });

export const ovfStage = (vmdk: string): Stage => ({ type: 'org.osbuild.ovf', options: { vmdk } });

export interface OciArchiveConfig {
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  ExposedPorts?: string[];
  User?: string;
  Labels?: Record<string, string>;
  WorkingDir?: string;
  Volumes?: string[];
}
export const ociArchiveStage = (architecture: string, filename: string, base: Input, config?: OciArchiveConfig, variant?: string): Stage => ({
  type: 'org.osbuild.oci-archive',
  inputs: { base },
  options: { architecture, ...(variant ? { variant } : {}), filename, ...(config ? { config: { ...config } } : {}) },
});
