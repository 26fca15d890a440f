// Disk stages of the double, run for real on image files without root or loop devices: org.osbuild.truncate (a
// sparse file), org.osbuild.sfdisk with a dos label (the MBR written in Node; gpt stays simulated), and
// org.osbuild.mkfs.ext4 through mke2fs at the partition's offset (`-E offset=`). A copy onto an ext4 mount
// (`mount://<name>/`) re-makes that filesystem with the same UUID and label populated from the source tree
// (`mke2fs -d`), which is what the copy leaves on the real disk. Without mke2fs the filesystem stages only write the
// ext4 superblock magic and the copy is skipped.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';

const SECTOR = 512;
const UNITS = { '': 1, B: 1, kB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3, TB: 1e12, TiB: 1024 ** 4 };
// Filesystems made by mkfs.ext4 in this run, by image file and offset: the copy stage re-makes them with files.
const filesystems = new Map();

function parseSize(text) {
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(String(text));
  if (!m || !(m[2] in UNITS)) throw new Error(`invalid size: ${text}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** The image file and byte range of a loopback device (`start`/`size` in sectors). */
function loopbackOf(ctx, name) {
  const device = ctx.devices?.[name];
  if (device?.type !== 'org.osbuild.loopback') return undefined;
  const o = device.options ?? {};
  const file = path.join(ctx.tree, o.filename);
  return { file, offset: (o.start ?? 0) * SECTOR, size: o.size !== undefined ? o.size * SECTOR : undefined };
}

const mke2fs = () => ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4'].find((p) => existsSync(p)) ?? (spawnSync('mkfs.ext4', ['-V']).error ? undefined : 'mkfs.ext4');

function makeExt4(ctx, dev, fs, populateFrom) {
  const tool = mke2fs();
  if (!tool) {
    // The superblock's magic (0xEF53 at byte 56 of the superblock, which starts 1024 bytes in): enough for a signature.
    const fd = openSync(dev.file, 'r+');
    writeSync(fd, Buffer.from([0x53, 0xef]), 0, 2, dev.offset + 1024 + 56);
    closeSync(fd);
    ctx.log('osbuild-double: mkfs.ext4 not found, wrote the ext4 superblock magic only\n');
    return;
  }
  const kib = Math.floor((dev.size ?? 0) / 1024);
  const args = ['-q', '-F', '-t', 'ext4', '-U', fs.uuid, '-E', `offset=${dev.offset}`, ...(fs.label ? ['-L', fs.label] : []), ...(populateFrom ? ['-d', populateFrom] : []), dev.file, ...(kib ? [`${kib}k`] : [])];
  // A fixed creation time keeps the filesystem reproducible across runs of the same manifest.
  const run = spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, E2FSPROGS_FAKE_TIME: String(ctx.sourceEpoch ?? 0) } });
  if (run.status !== 0) throw new Error(`mkfs.ext4 failed: ${run.stderr || run.error}`);
}

function truncateStage(ctx) {
  const file = path.join(ctx.tree, ctx.options.filename);
  if (!existsSync(file)) writeFileSync(file, '');
  truncateSync(file, parseSize(ctx.options.size));
}

/**
 * The CHS bytes sfdisk writes for a sector, as libfdisk does for a device without a geometry (255 heads, 63 sectors,
 * capped at cylinder 1023), so the double's MBR equals real osbuild's byte for byte.
 */
function chsOf(lba) {
  const heads = 255, sectors = 63;
  const l = Math.min(lba, heads * sectors * 1024 - 1);
  const cyl = Math.floor(l / (heads * sectors));
  return [Math.floor(l / sectors) % heads, (((cyl >> 8) & 3) << 6) | ((l % sectors) + 1), cyl & 0xff];
}

function sfdiskStage(ctx) {
  const dev = loopbackOf(ctx, 'device');
  const { label, uuid, partitions = [] } = ctx.options;
  if (!dev || (label !== 'dos' && label !== 'mbr')) {
    ctx.log(`osbuild-double: simulated org.osbuild.sfdisk (${label} label)\n`);
    return;
  }
  if (partitions.length > 4) throw new Error('a dos label holds at most 4 primary partitions');
  const mbr = Buffer.alloc(SECTOR);
  mbr.writeUInt32LE(Number.parseInt(String(uuid).replace(/^0x/, ''), 16) >>> 0, 440);
  partitions.forEach((p, i) => {
    const at = 446 + 16 * i;
    mbr[at] = p.bootable ? 0x80 : 0x00;
    mbr.set(chsOf(p.start), at + 1);
    mbr[at + 4] = Number.parseInt(p.type, 16);
    mbr.set(chsOf(p.start + p.size - 1), at + 5);
    mbr.writeUInt32LE(p.start, at + 8);
    mbr.writeUInt32LE(p.size, at + 12);
  });
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const fd = openSync(dev.file, 'r+');
  writeSync(fd, mbr, 0, SECTOR, dev.offset);
  closeSync(fd);
}

function mkfsExt4Stage(ctx) {
  const dev = loopbackOf(ctx, 'device');
  if (!dev) throw new Error('org.osbuild.mkfs.ext4 needs a loopback device named "device"');
  const fs = { uuid: ctx.options.uuid, label: ctx.options.label };
  makeExt4(ctx, dev, fs);
  filesystems.set(`${dev.file}@${dev.offset}`, { ...fs, dev });
}

/** A copy onto `mount://<name>/`: the ext4 filesystem of that mount made again, holding the source tree. */
export function copyIntoMount(ctx, item, from) {
  const m = /^mount:\/\/([^/]+)\/?$/.exec(item.to);
  const mount = m && (ctx.mounts ?? []).find((mt) => mt.name === m[1]);
  const dev = mount && loopbackOf(ctx, mount.source);
  const fs = dev && filesystems.get(`${dev.file}@${dev.offset}`);
  if (!fs || mount.type !== 'org.osbuild.ext4' || !mke2fs()) {
    ctx.log(`osbuild-double: simulated copy to ${item.to}\n`);
    return;
  }
  ctx.log(`copying '${from.virtual}' -> '${item.to}'\n`);
  makeExt4(ctx, fs.dev, fs, from.real);
}

export const DISK_STAGES = {
  'org.osbuild.truncate': truncateStage,
  'org.osbuild.sfdisk': sfdiskStage,
  'org.osbuild.mkfs.ext4': mkfsExt4Stage,
};
