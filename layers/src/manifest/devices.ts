import type { Device, Mount } from './manifest.ts';

export interface LoopbackOptions {
  filename: string;
  /** In sectors. */
  start?: number;
  /** In sectors. */
  size?: number;
  lock?: boolean;
  sectorSize?: number;
}

export const loopbackDevice = (o: LoopbackOptions): Device => ({
  type: 'org.osbuild.loopback',
  options: {
    filename: o.filename,
    ...(o.start !== undefined ? { start: o.start } : {}),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.lock ? { lock: true } : {}),
    ...(o.sectorSize ? { 'sector-size': o.sectorSize } : {}),
  },
});

export const lvm2LvDevice = (parent: string, volume: string): Device => ({
  type: 'org.osbuild.lvm2.lv',
  parent,
  options: { volume },
});

const MOUNT_TYPES: Record<string, string> = {
  xfs: 'org.osbuild.xfs',
  ext4: 'org.osbuild.ext4',
  vfat: 'org.osbuild.fat',
  btrfs: 'org.osbuild.btrfs',
};

export function filesystemMount(name: string, fsType: string, source: string, target: string, subvol?: string): Mount {
  const type = MOUNT_TYPES[fsType];
  if (!type) throw new Error(`no osbuild mount for filesystem type ${fsType}`);
  const mount: Mount = { name, type, source, target };
  if (fsType === 'btrfs' && subvol) mount.options = { subvol };
  return mount;
}
