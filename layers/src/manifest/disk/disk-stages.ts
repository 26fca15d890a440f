/** Stages that turn a PartitionTable into a disk image and describe it to the OS (fstab, mount units, grub2). */
import type { Device, Mount, Stage } from '../manifest.ts';
import { filesystemMount, loopbackDevice, lvm2LvDevice } from '../devices.ts';
import { pipelineTreeInput } from '../inputs.ts';
import {
  copyTreeStage,
  fstabStage,
  grub2InstStage,
  lvm2CreateStage,
  lvm2MetadataStage,
  mkfsExt4Stage,
  mkfsFatStage,
  mkfsXfsStage,
  sfdiskStage,
  systemdStage,
  systemdUnitCreateStage,
  truncateStage,
  type FstabEntry,
} from '../stages/index.ts';
import { GUID, DOS_ID, entityPath, forEachEntity, forEachFilesystem, type Entity, type Filesystem, type PartitionTable } from './partition-table.ts';

const SECTOR = 512;
const sectors = (bytes: number): number => Math.floor(bytes / SECTOR);

/** systemd-escape-like name osbuild/images uses for devices and mounts ("/" → "-", "/boot/efi" → "boot-efi"). */
export function pathEscape(path: string): string {
  if (path === '' || path === '/') return '-';
  return path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\\/g, '\\x5c')
    .replace(/-/g, '\\x2d')
    .replace(/\//g, '-');
}

const sortedRecord = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));

function deviceName(payload: Entity): string {
  if (payload.kind === 'filesystem') return pathEscape(payload.mountpoint);
  if (payload.kind === 'vg' || payload.kind === 'lv') return payload.name;
  throw new Error(`no device name for ${payload.kind}`);
}

/** Devices along a path (table → partition → LV), named like osbuild/images; returns the leaf device name. */
function devicesFor(path: Entity[], filename: string, lock: boolean): { devices: Record<string, Device>; leaf: string } {
  const devices: Record<string, Device> = {};
  let parent = '';
  for (const e of path) {
    if (e.kind === 'partition') {
      const name = deviceName(e.payload!);
      devices[name] = loopbackDevice({ filename, start: sectors(e.start), size: sectors(e.size), lock });
      parent = name;
    } else if (e.kind === 'lv') {
      const name = deviceName(e.payload);
      devices[name] = lvm2LvDevice(parent, e.name);
      parent = name;
    }
  }
  return { devices, leaf: parent };
}

/** Devices for a stage acting on one entity: the leaf is renamed "device". */
function stageDevices(path: Entity[], filename: string): Record<string, Device> {
  const { devices, leaf } = devicesFor(path, filename, true);
  const last = devices[leaf];
  delete devices[leaf];
  devices.device = last;
  return sortedRecord(devices);
}

/** truncate, partitioning, LVM volume creation and mkfs for every filesystem. */
export function imagePrepareStages(pt: PartitionTable, filename: string): Stage[] {
  const stages: Stage[] = [truncateStage(filename, pt.size)];
  stages.push(
    sfdiskStage(
      pt.type,
      pt.uuid,
      pt.partitions.map((p) => ({
        ...(p.bootable ? { bootable: true } : {}),
        size: sectors(p.size),
        start: sectors(p.start),
        type: p.type,
        ...(p.uuid ? { uuid: p.uuid } : {}),
      })),
      loopbackDevice({ filename, lock: true }),
    ),
  );
  forEachEntity(pt, (e, path) => {
    if (e.kind !== 'vg') return;
    stages.push(
      lvm2CreateStage(
        e.logicalVolumes.map((lv) => ({ name: lv.name, size: `${lv.size}B` })),
        stageDevices(path.slice(0, -1), filename),
      ),
    );
  });
  forEachFilesystem(pt, (fs, path) => {
    const devices = stageDevices(path, filename);
    if (fs.type === 'xfs') stages.push(mkfsXfsStage(fs.uuid!, fs.label, devices));
    else if (fs.type === 'ext4') stages.push(mkfsExt4Stage(fs.uuid!, fs.label, devices));
    else stages.push(mkfsFatStage(fs.uuid!, fs.label, devices));
  });
  return stages;
}

/** Mounts and devices exposing every filesystem of the image, for copying the tree in. */
export function mountsAndDevices(pt: PartitionTable, filename: string): { root: string; mounts: Mount[]; devices: Record<string, Device> } {
  const devices: Record<string, Device> = {};
  const mounts: Mount[] = [];
  let root = '';
  forEachFilesystem(pt, (fs, path) => {
    const { devices: d, leaf } = devicesFor(path, filename, false);
    const name = pathEscape(fs.mountpoint);
    mounts.push(filesystemMount(name, fs.type, leaf, fs.mountpoint));
    if (fs.mountpoint === '/') root = name;
    Object.assign(devices, d);
  });
  if (!root) throw new Error('no mount for the root filesystem');
  mounts.sort((a, b) => (a.target! < b.target! ? -1 : a.target! > b.target! ? 1 : 0));
  return { root, mounts, devices: sortedRecord(devices) };
}

export function copyTreeToImageStage(pt: PartitionTable, filename: string, treePipeline: string): Stage {
  const { root, mounts, devices } = mountsAndDevices(pt, filename);
  return copyTreeStage({ 'root-tree': pipelineTreeInput(treePipeline) }, [{ from: 'input://root-tree/', to: `mount://${root}/` }], devices, mounts);
}

/** LVM metadata finalization after the tree is in place. */
export function imageFinishStages(pt: PartitionTable, filename: string): Stage[] {
  const stages: Stage[] = [];
  forEachEntity(pt, (e, path) => {
    if (e.kind === 'vg') stages.push(lvm2MetadataStage(e.name, stageDevices(path.slice(0, -1), filename)));
  });
  return stages;
}

const isBiosBoot = (type: string): boolean => type.toUpperCase() === GUID.biosBoot || type === DOS_ID.biosBoot;
const isPrep = (type: string): boolean => type === DOS_ID.prep || type.toUpperCase() === GUID.prep;

/** grub2.inst for BIOS boot: core image in the BIOS boot partition, prefix on the /boot (or root) partition. */
export function grub2InstStageFor(pt: PartitionTable, filename: string, platform: string): Stage {
  let bootIdx = -1;
  let rootIdx = -1;
  let coreIdx = -1;
  pt.partitions.forEach((p, i) => {
    if (isBiosBoot(p.type) || isPrep(p.type)) coreIdx = i;
    if (p.payload?.kind !== 'filesystem') return;
    if (p.payload.mountpoint === '/boot') bootIdx = i;
    else if (p.payload.mountpoint === '/') rootIdx = i;
  });
  if (bootIdx === -1) bootIdx = rootIdx;
  if (bootIdx === -1) throw new Error('grub2.inst: /boot and / are not on plain partitions');
  if (coreIdx === -1) throw new Error('grub2.inst: no BIOS boot partition');
  const boot = pt.partitions[bootIdx].payload as Filesystem;
  return grub2InstStage({
    filename,
    platform,
    location: sectors(pt.partitions[coreIdx].start),
    core: { type: 'mkimage', partlabel: pt.type, filesystem: boot.type },
    prefix: { type: 'partition', partlabel: pt.type, number: bootIdx, path: boot.mountpoint === '/boot' ? '/grub2' : '/boot/grub2' },
  });
}

export type MountConfiguration = 'fstab' | 'units' | 'none';

export function fstabStageFor(pt: PartitionTable): Stage {
  const entries: FstabEntry[] = [];
  forEachFilesystem(pt, (fs) => {
    entries.push({
      uuid: fs.uuid,
      vfs_type: fs.type,
      path: fs.mountpoint,
      options: fs.fstabOptions,
      ...(fs.fstabFreq ? { freq: fs.fstabFreq } : {}),
      ...(fs.fstabPassno ? { passno: fs.fstabPassno } : {}),
    });
  });
  const key = (e: FstabEntry): string => `${e.passno ?? 0}${e.path}`;
  entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return fstabStage(entries);
}

/** systemd .mount units instead of fstab (upstream mount_configuration: units), then one systemd stage enabling them. */
export function mountUnitStagesFor(pt: PartitionTable): Stage[] {
  const units: { filename: string; stage: Stage }[] = [];
  forEachFilesystem(pt, (fs) => {
    const isFat = /^[0-9A-F]{4}-[0-9A-F]{4}$/.test(fs.uuid!);
    const what = `/dev/disk/by-uuid/${isFat ? fs.uuid : fs.uuid!.toLowerCase()}`;
    const filename = `${pathEscape(fs.mountpoint)}.mount`;
    units.push({
      filename,
      stage: systemdUnitCreateStage({
        filename,
        'unit-path': 'etc',
        config: {
          Unit: { DefaultDependencies: true },
          Mount: { What: what, Where: fs.mountpoint, Type: fs.type, Options: fs.fstabOptions },
          Install: { WantedBy: ['multi-user.target'] },
        },
      }),
    });
  });
  units.sort((a, b) => (a.filename < b.filename ? -1 : 1));
  const stages = units.map((u) => u.stage);
  if (units.length) stages.push(systemdStage({ enabled_services: units.map((u) => u.filename) }));
  return stages;
}

export function filesystemConfigStages(pt: PartitionTable, config: MountConfiguration): Stage[] {
  if (config === 'units') return mountUnitStagesFor(pt);
  if (config === 'fstab') return [fstabStageFor(pt)];
  return [];
}

/** Root filesystem UUID and the kernel arguments the partition table implies (separate /usr with mount units). */
export function imageKernelOptions(pt: PartitionTable, config: MountConfiguration): { rootUuid: string; options: string[] } {
  const rootPath = entityPath(pt, '/');
  if (!rootPath) throw new Error('no root filesystem');
  const root = rootPath[0] as Filesystem;
  const options: string[] = [];
  const usrPath = entityPath(pt, '/usr');
  if (usrPath && config !== 'fstab') {
    const usr = usrPath[0] as Filesystem;
    options.push(`mount.usr=UUID=${usr.uuid}`, `mount.usrfstype=${usr.type}`, `mount.usrflags=${usr.fstabOptions}`);
  }
  if (config === 'units' && root.fstabOptions !== 'defaults') options.push(`rootflags=${root.fstabOptions}`);
  return { rootUuid: root.uuid!, options };
}
