/**
 * Disk model and the sizing rules osbuild/images applies to a base partition table: blueprint filesystem
 * customizations grow existing mountpoints or add new ones (as partitions, or as logical volumes when the root is
 * on LVM), LVM is introduced when upstream would (partitioning mode), required directory sizes are ensured and the
 * table is laid out on 1 MiB boundaries with the root partition taking the rest of the disk.
 */
import type { SeededRandom } from '../rng.ts';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
const SECTOR = 512;
const GRAIN = MiB;
const LVM_EXTENT = 4 * MiB;
const DEFAULT_BOOT_SIZE = GiB;

export const GUID = {
  biosBoot: '21686148-6449-6E6F-744E-656564454649',
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  data: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  xbootldr: 'BC13C2FF-59E6-4262-A352-B275FD6F7172',
  lvm: 'E6D6D379-F507-44C2-A23C-238F2A3DF928',
  prep: '9E1A2D38-C612-4316-AA26-8B49521E5A8B',
} as const;
export const DOS_ID = { linux: '83', lvm: '8e', biosBoot: '00', prep: '41' } as const;

export type FsType = 'xfs' | 'ext4' | 'vfat';

export interface Filesystem {
  kind: 'filesystem';
  type: FsType;
  uuid?: string;
  label?: string;
  mountpoint: string;
  fstabOptions: string;
  fstabFreq: number;
  fstabPassno: number;
}

export interface LogicalVolume {
  kind: 'lv';
  name: string;
  size: number;
  payload: Filesystem;
}

export interface VolumeGroup {
  kind: 'vg';
  name: string;
  description?: string;
  logicalVolumes: LogicalVolume[];
}

export interface Partition {
  kind: 'partition';
  start: number;
  size: number;
  type: string;
  bootable?: boolean;
  uuid?: string;
  payload?: Filesystem | VolumeGroup;
}

export interface PartitionTable {
  kind: 'pt';
  type: 'gpt' | 'dos';
  uuid?: string;
  size: number;
  startOffset: number;
  partitions: Partition[];
}

export type Entity = PartitionTable | Partition | Filesystem | VolumeGroup | LogicalVolume;

export type PartitioningMode = 'raw' | 'lvm' | 'auto-lvm' | '';

export const cloneTable = (pt: PartitionTable): PartitionTable => structuredClone(pt);

function children(e: Entity): Entity[] {
  switch (e.kind) {
    case 'pt':
      return e.partitions;
    case 'partition':
      return e.payload ? [e.payload] : [];
    case 'vg':
      return e.logicalVolumes;
    case 'lv':
      return [e.payload];
    default:
      return [];
  }
}

const isContainer = (e: Entity): boolean => e.kind === 'pt' || e.kind === 'partition' || e.kind === 'vg' || e.kind === 'lv';
const isSizeable = (e: Entity): e is PartitionTable | Partition | LogicalVolume => e.kind === 'pt' || e.kind === 'partition' || e.kind === 'lv';

function ensureSize(e: PartitionTable | Partition | LogicalVolume, size: number): boolean {
  if (size <= e.size) return false;
  e.size = e.kind === 'lv' ? alignTo(size, LVM_EXTENT) : size;
  return true;
}

const alignTo = (size: number, grain: number): number => (size % grain === 0 ? size : Math.ceil(size / grain) * grain);

/** Path from the mountable up to the table (leaf first), or undefined. */
export function entityPath(e: Entity, mountpoint: string): Entity[] | undefined {
  if (e.kind === 'filesystem') return e.mountpoint === mountpoint ? [e] : undefined;
  for (const child of children(e)) {
    const path = entityPath(child, mountpoint);
    if (path) return [...path, e];
  }
  return undefined;
}

/** Visits every entity depth-first with its path from the table (root first). */
export function forEachEntity(e: Entity, cb: (e: Entity, path: Entity[]) => void, path: Entity[] = []): void {
  const p = [...path, e];
  cb(e, p);
  for (const child of children(e)) forEachEntity(child, cb, p);
}

export function forEachFilesystem(pt: PartitionTable, cb: (fs: Filesystem, path: Entity[]) => void): void {
  forEachEntity(pt, (e, path) => {
    if (e.kind === 'filesystem') cb(e, path);
  });
}

export function findFilesystem(pt: PartitionTable, mountpoint: string): Filesystem | undefined {
  const path = entityPath(pt, mountpoint);
  return path ? (path[0] as Filesystem) : undefined;
}

/** A filesystem directly on a partition (not on LVM). */
export function findFilesystemOnPlain(pt: PartitionTable, mountpoint: string): Filesystem | undefined {
  const path = entityPath(pt, mountpoint);
  return path && path[1]?.kind === 'partition' ? (path[0] as Filesystem) : undefined;
}

const hasLvm = (pt: PartitionTable): boolean => pt.partitions.some((p) => p.payload?.kind === 'vg');

/** Packages the build root needs to create this table's filesystems. */
export function buildPackagesFor(pt: PartitionTable): string[] {
  const pkgs = new Set<string>();
  forEachEntity(pt, (e) => {
    if (e.kind === 'vg') pkgs.add('lvm2');
    if (e.kind === 'filesystem') pkgs.add({ xfs: 'xfsprogs', vfat: 'dosfstools', ext4: 'e2fsprogs' }[e.type]);
  });
  return ['lvm2', 'btrfs-progs', 'xfsprogs', 'dosfstools', 'e2fsprogs'].filter((p) => pkgs.has(p));
}

const clampFsSize = (mountpoint: string, size: number): number => Math.max(size, mountpoint === '/boot' ? 500 * MiB : GiB);

/** Sizes are aligned by every container on the path that can create mountpoints (table: 1 MiB, VG: 4 MiB). */
function alignBranch(path: Entity[], size: number): number {
  for (const e of path) {
    if (e.kind === 'pt') size = alignTo(size, GRAIN);
    if (e.kind === 'vg') size = alignTo(size, LVM_EXTENT);
  }
  return size;
}

function resizeBranch(path: Entity[], size: number): void {
  for (const e of path) {
    if (isContainer(e)) {
      let containerSize = 0;
      for (const child of children(e)) {
        if (!isSizeable(child)) break;
        containerSize += child.size;
      }
      if (containerSize === 0) containerSize = size;
      if (e.kind === 'vg') containerSize += MiB; // LVM metadata
      if (containerSize > size) size = containerSize;
    }
    if (isSizeable(e) && !ensureSize(e, size)) return;
  }
}

function lvName(vg: VolumeGroup, mountpoint: string): string {
  const base = mountpoint === '/' ? 'rootlv' : `${mountpoint.replace(/^\/+/, '').replace(/\//g, '_')}lv`;
  const names = new Set(vg.logicalVolumes.map((lv) => lv.name));
  if (!names.has(base)) return base;
  for (let i = 0; i < 100; i++) {
    const candidate = `${base}${String(i).padStart(2, '0')}`;
    if (!names.has(candidate)) return candidate;
  }
  throw new Error(`cannot name a logical volume for ${mountpoint}`);
}

const newFilesystem = (mountpoint: string, type: FsType): Filesystem => ({
  kind: 'filesystem',
  type,
  mountpoint,
  fstabOptions: 'defaults',
  fstabFreq: 0,
  fstabPassno: 0,
});

function createPartition(pt: PartitionTable, mountpoint: string, fsType: FsType, size: number): Partition {
  const max = pt.type === 'gpt' ? 128 : 4;
  if (pt.partitions.length >= max) throw new Error(`maximum number of partitions reached (${max})`);
  const partition: Partition = {
    kind: 'partition',
    start: 0,
    size,
    type: pt.type === 'gpt' ? (mountpoint === '/boot' ? GUID.xbootldr : GUID.data) : DOS_ID.linux,
    payload: newFilesystem(mountpoint, fsType),
  };
  pt.partitions.push(partition);
  return partition;
}

function createFilesystem(pt: PartitionTable, mountpoint: string, fsType: FsType, size: number): void {
  const rootPath = entityPath(pt, '/');
  if (!rootPath) throw new Error('partition table has no root filesystem');
  const idx = rootPath.findIndex((e) => e.kind === 'vg' || e.kind === 'pt');
  const creator = rootPath[idx];
  let created: Entity;
  if (creator.kind === 'vg') {
    const lv: LogicalVolume = { kind: 'lv', name: lvName(creator, mountpoint), size: 0, payload: newFilesystem(mountpoint, fsType) };
    creator.logicalVolumes.push(lv);
    created = lv;
  } else {
    created = createPartition(pt, mountpoint, fsType, 0);
  }
  const path = [created, ...rootPath.slice(idx)];
  resizeBranch(path, alignBranch(path, size));
}

export interface FilesystemRequest {
  mountpoint: string;
  minSize: number;
}

/** Grows existing mountpoints; returns the ones that do not exist yet (or creates them when `create`). */
function applyFilesystems(pt: PartitionTable, requests: FilesystemRequest[], fsType: FsType, create: boolean): FilesystemRequest[] {
  const missing: FilesystemRequest[] = [];
  for (const req of requests) {
    const size = clampFsSize(req.mountpoint, req.minSize);
    const path = entityPath(pt, req.mountpoint);
    if (path) resizeBranch(path, alignBranch(path, size));
    else if (create) createFilesystem(pt, req.mountpoint, fsType, size);
    else missing.push(req);
  }
  return missing;
}

function ensureLvm(pt: PartitionTable, fsType: FsType): void {
  if (!entityPath(pt, '/boot')) createPartition(pt, '/boot', fsType, DEFAULT_BOOT_SIZE);
  const rootPath = entityPath(pt, '/')!;
  const parent = rootPath[1];
  if (parent.kind === 'lv') return;
  if (parent.kind !== 'partition') throw new Error('unsupported parent for LVM');
  const fs = parent.payload as Filesystem;
  parent.payload = {
    kind: 'vg',
    name: 'rootvg',
    description: 'created via lvm2 and osbuild',
    logicalVolumes: [{ kind: 'lv', name: 'rootlv', size: alignTo(parent.size, LVM_EXTENT), payload: fs }],
  };
  parent.size = 0;
  parent.type = pt.type === 'gpt' ? GUID.lvm : DOS_ID.lvm;
}

function ensureDirectorySizes(pt: PartitionTable, required: Record<string, number>): void {
  const perMount = new Map<string, { path: Entity[]; size: number }>();
  for (const [dir, size] of Object.entries(required)) {
    let d = dir;
    let path = entityPath(pt, d);
    while (!path && d !== '/') {
      d = d.slice(0, d.lastIndexOf('/')) || '/';
      path = entityPath(pt, d);
    }
    if (!path) throw new Error(`no mountpoint holds ${dir}`);
    const mountpoint = (path[0] as Filesystem).mountpoint;
    const entry = perMount.get(mountpoint) ?? { path, size: 0 };
    entry.size += size;
    perMount.set(mountpoint, entry);
  }
  for (const { path, size } of perMount.values()) resizeBranch(path, size);
}

const headerSize = (pt: PartitionTable): number => (pt.type === 'dos' ? SECTOR : SECTOR + Math.max(pt.partitions.length, 128) * 128);

function fitPartition(p: Partition, size: number): void {
  if (p.payload?.kind === 'vg') {
    const lvSum = p.payload.logicalVolumes.reduce((s, lv) => s + lv.size, 0);
    size = alignTo(Math.max(lvSum + MiB, size), LVM_EXTENT);
  }
  p.size = size;
}

/** Places partitions on the disk: everything but the root partition first, root last taking the remaining space. */
function relayout(pt: PartitionTable, imageSize: number): void {
  const header = headerSize(pt);
  let footer = pt.type === 'gpt' ? header : 0;
  let start = alignTo(header + pt.startOffset, GRAIN);
  let size = alignTo(imageSize, GRAIN);
  let root: Partition | undefined;
  for (const p of pt.partitions) {
    if (entityPath(p, '/')) {
      root = p;
      continue;
    }
    p.start = start;
    fitPartition(p, p.size);
    p.size = alignTo(p.size, GRAIN);
    start += p.size;
  }
  if (!root) throw new Error('partition table has no root filesystem');
  root.start = start;
  fitPartition(root, root.size);
  footer += 0;
  const end = alignTo(root.start + footer + root.size, GRAIN);
  if (end > size) size = end;
  if (size > pt.size) pt.size = size;
  root.size = pt.size - root.start - footer;
  pt.partitions.sort((a, b) => a.start - b.start);
}

function generateUuids(pt: PartitionTable, rng: SeededRandom): void {
  if (!pt.uuid) pt.uuid = pt.type === 'gpt' ? rng.uuid().toUpperCase() : `0x${rng.bytes(4).toString('hex')}`;
  forEachEntity(pt, (e) => {
    if (e.kind === 'filesystem' && !e.uuid) e.uuid = e.type === 'vfat' ? rng.volumeId() : rng.uuid();
  });
  if (pt.type !== 'gpt') return;
  for (const p of pt.partitions) if (!p.uuid) p.uuid = rng.uuid().toUpperCase();
}

export interface NewPartitionTableOptions {
  filesystems: FilesystemRequest[];
  imageSize: number;
  mode: PartitioningMode;
  /** Directories that must get at least this many bytes (upstream required_partition_sizes). */
  requiredSizes?: Record<string, number>;
  defaultFsType: FsType;
  rng: SeededRandom;
}

/** The final partition table for an image: the base table with customizations, sizes and UUIDs applied. */
export function newPartitionTable(base: PartitionTable, o: NewPartitionTableOptions): PartitionTable {
  const pt = cloneTable(base);
  if (hasLvm(base) && o.mode === 'raw') {
    throw new Error('raw partitioning mode set for a base partition table with LVM, this is unsupported');
  }
  const missing = applyFilesystems(pt, o.filesystems, o.defaultFsType, false);
  const lvm = o.mode === 'lvm' || ((o.mode === '' || o.mode === 'auto-lvm') && missing.length > 0);
  if (lvm) ensureLvm(pt, o.defaultFsType);
  applyFilesystems(pt, missing, o.defaultFsType, true);
  const required = o.requiredSizes ?? { '/': GiB, '/usr': 2 * GiB };
  if (Object.keys(required).length > 0) ensureDirectorySizes(pt, required);
  relayout(pt, o.imageSize);
  generateUuids(pt, o.rng);
  return pt;
}
