import type { Stage } from '../manifest.ts';

export const kernelCmdlineStage = (rootFsUuid: string, kernelOpts: string): Stage => ({
  type: 'org.osbuild.kernel-cmdline',
  options: { root_fs_uuid: rootFsUuid, kernel_opts: kernelOpts },
});

/** org.osbuild.fix-bls; `prefix: ""` when /boot is its own partition. */
export const fixBlsStage = (prefix?: string): Stage => ({
  type: 'org.osbuild.fix-bls',
  options: prefix !== undefined ? { prefix } : {},
});

export interface Grub2Config {
  default?: string;
  disable_recovery?: boolean;
  disable_submenu?: boolean;
  distributor?: string;
  terminal?: string[];
  terminal_input?: string[];
  terminal_output?: string[];
  timeout?: number;
  timeout_style?: string;
  serial?: string;
}

export interface Grub2Options {
  compat_version?: number;
  root_fs_uuid: string;
  boot_fs_uuid?: string;
  kernel_opts?: string;
  legacy?: string;
  uefi?: { vendor: string; install?: boolean; unified?: boolean };
  saved_entry?: string;
  write_cmdline?: boolean;
  config?: Grub2Config;
}
export const grub2Stage = (options: Grub2Options): Stage => ({ type: 'org.osbuild.grub2', options: { ...options } });

export const dracutStage = (kernel: string[], addModules: string[]): Stage => ({
  type: 'org.osbuild.dracut',
  options: { kernel, add_modules: addModules },
});

export const dracutConfStage = (filename: string, config: Record<string, unknown>): Stage => ({
  type: 'org.osbuild.dracut.conf',
  options: { filename, config },
});

export const modprobeStage = (filename: string, commands: { command: string; modulename: string }[]): Stage => ({
  type: 'org.osbuild.modprobe',
  options: { filename, commands },
});

export interface FstabEntry {
  uuid?: string;
  label?: string;
  vfs_type: string;
  path?: string;
  options?: string;
  freq?: number;
  passno?: number;
}
export const fstabStage = (filesystems: FstabEntry[]): Stage => ({ type: 'org.osbuild.fstab', options: { filesystems } });

export interface Grub2InstOptions {
  filename: string;
  platform: string;
  location: number;
  core: { type: 'mkimage'; partlabel: string; filesystem: string };
  prefix: { type: 'partition'; partlabel: string; number: number; path: string };
}
export const grub2InstStage = (options: Grub2InstOptions): Stage => ({ type: 'org.osbuild.grub2.inst', options: { ...options } });
