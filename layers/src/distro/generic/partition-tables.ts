import type { PartitionDef, PartitionTableDef, PayloadDef } from '../defs/types.ts';
import type { Filesystem, FsType, Partition, PartitionTable, VolumeGroup } from '../../manifest/disk/partition-table.ts';

function filesystemFrom(p: PayloadDef, defaultFs: FsType): Filesystem {
  return {
    kind: 'filesystem',
    type: (p.type || defaultFs) as FsType,
    ...(p.uuid ? { uuid: p.uuid } : {}),
    ...(p.label ? { label: p.label } : {}),
    mountpoint: p.mountpoint ?? '',
    fstabOptions: p.fstab_options ?? 'defaults',
    fstabFreq: p.fstab_freq ?? 0,
    fstabPassno: p.fstab_passno ?? 0,
  };
}

function partitionFrom(d: PartitionDef, defaultFs: FsType): Partition {
  const partition: Partition = { kind: 'partition', start: 0, size: d.size ?? 0, type: d.type ?? '' };
  if (d.bootable) partition.bootable = true;
  if (d.uuid) partition.uuid = d.uuid;
  if (d.payload_type === 'filesystem' && d.payload) partition.payload = filesystemFrom(d.payload, defaultFs);
  else if (d.payload_type === 'lvm' && d.payload) {
    const vg: VolumeGroup = {
      kind: 'vg',
      name: d.payload.name ?? 'rootvg',
      ...(d.payload.description ? { description: d.payload.description } : {}),
      logicalVolumes: (d.payload.logical_volumes ?? []).map((lv) => ({
        kind: 'lv' as const,
        name: lv.name ?? '',
        size: lv.size ?? 0,
        payload: filesystemFrom(lv.payload ?? {}, defaultFs),
      })),
    };
    partition.payload = vg;
  } else if (d.payload_type) {
    throw new Error(`partition payload ${d.payload_type} is not supported`);
  }
  return partition;
}

/** The upstream base partition table in the disk model; empty filesystem types take the distro default (setupDefaultFS). */
export function partitionTableFrom(def: PartitionTableDef, defaultFs: FsType): PartitionTable {
  return {
    kind: 'pt',
    type: def.type,
    ...(def.uuid ? { uuid: def.uuid } : {}),
    size: def.size ?? 0,
    startOffset: def.start_offset ?? 0,
    partitions: def.partitions.map((p) => partitionFrom(p, defaultFs)),
  };
}
