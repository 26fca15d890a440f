/**
 * test-distro-1's `aws` raw disk, built by the osbuild double and, with IBS_TEST_OSBUILD set (as root, for the loop
 * devices), by real osbuild offline: e.g. a script running `PYTHONPATH=$SRC exec python3 -m osbuild --libdir $SRC "$@"`
 * on an osbuild checkout (needs bubblewrap, python3-jsonschema, sfdisk and e2fsprogs on the host, /etc/containers).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { runDouble } from '../osbuild-double/harness.ts';
import { parseOsbuildCommand } from '../../runner-ami/src/osbuild-command.ts';
import { computeManifestIds } from '../../layers/src/manifest/ids.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';

const work = mkdtempSync(path.join(tmpdir(), 'test-aws-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function awsManifest(size = 0) {
  const distro = findDistribution('test-distro-1');
  const arch = findArchitecture(distro, 'x86_64');
  const type = findImageType(distro, arch, 'aws');
  const blueprint = { customizations: { hostname: 'ami-host', files: [{ path: '/etc/motd', data: 'built for an AMI\n' }] }, packages: [], groups: [] };
  const request = { distribution: distro.name, architecture: 'x86_64', imageType: 'aws', size, seed: 'seed-1', blueprint } as never;
  return type.generate(type.prepare(request), {});
}

const debugfs = ['/usr/sbin/debugfs', '/sbin/debugfs'].find((p) => !spawnSync(p, ['-V']).error);
const mke2fs = ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4'].find((p) => !spawnSync(p, ['-V']).error);

async function buildDisk(name: string, size = 0): Promise<string> {
  const manifest = path.join(work, `${name}.json`);
  writeFileSync(manifest, JSON.stringify(awsManifest(size).manifest));
  const out = path.join(work, `out-${name}`);
  const run = await runDouble(['--store', path.join(work, `store-${name}`), '--export', 'image', '--output-directory', out, '--json', manifest]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return path.join(out, 'image', 'disk.raw');
}

/** The same build with a real osbuild command line (IBS_TEST_OSBUILD): its stages run on the host, with loop devices. */
function buildDiskWithOsbuild(command: string, name: string, size = 0): string {
  const manifest = path.join(work, `${name}.json`);
  writeFileSync(manifest, JSON.stringify(awsManifest(size).manifest));
  const out = path.join(work, `out-${name}`);
  const { file, args } = parseOsbuildCommand(command);
  const run = spawnSync(file, [...args, '--store', path.join(work, `store-${name}`), '--export', 'image', '--output-directory', out, manifest], { encoding: 'utf8', timeout: 240_000 });
  expect(run.status, `${run.stdout}${run.stderr}${run.error ?? ''}`).toBe(0);
  return path.join(out, 'image', 'disk.raw');
}

const readSector = (file: string, at = 0): Buffer => {
  const sector = Buffer.alloc(512);
  const fd = openSync(file, 'r');
  readSync(fd, sector, 0, 512, at);
  closeSync(fd);
  return sector;
};

describe('test-distro-1 aws image (raw disk) built by the osbuild double', () => {
  it('is the raw-disk image type the aws upload needs: truncate, dos sfdisk, mkfs.ext4, the os tree copied onto the mount', () => {
    const generated = awsManifest();
    expect(generated).toMatchObject({ exports: ['image'], filename: 'disk.raw', mimeType: 'application/octet-stream' });
    const image = generated.manifest.pipelines.find((p) => p.name === 'image')!;
    expect(image.stages.map((s) => s.type)).toEqual(['org.osbuild.truncate', 'org.osbuild.sfdisk', 'org.osbuild.mkfs.ext4', 'org.osbuild.copy']);
    expect(JSON.stringify(generated.manifest.sources)).not.toMatch(/curl/);
    // Same seed, same manifest (UUIDs come from it).
    expect(JSON.stringify(awsManifest())).toBe(JSON.stringify(generated));
  });

  it('exports a sparse disk with a bootable dos partition at sector 2048 and an ext4 superblock in it', async () => {
    const disk = await buildDisk('plain');
    const stat = statSync(disk);
    expect(stat.size).toBe(64 * 1024 * 1024);
    expect(stat.blocks * 512).toBeLessThan(stat.size / 4);
    const mbr = readSector(disk);
    const superblock = readSector(disk, 1024 * 1024 + 1024);
    expect(mbr.readUInt16LE(510)).toBe(0xaa55);
    expect(mbr[446]).toBe(0x80);
    expect(mbr[450]).toBe(0x83);
    // CHS of sectors 2048 and 131071 as sfdisk writes them in real osbuild (255 heads, 63 sectors).
    expect([...mbr.subarray(447, 450), ...mbr.subarray(451, 454)]).toEqual([0x20, 0x21, 0x00, 0x28, 0x20, 0x08]);
    expect(mbr.readUInt32LE(454)).toBe(2048);
    expect(mbr.readUInt32LE(458)).toBe(64 * 2048 - 2048);
    expect(superblock.readUInt16LE(56)).toBe(0xef53);
  });

  it.skipIf(!mke2fs || !debugfs)('the ext4 filesystem holds the os tree (needs mkfs.ext4 and debugfs from e2fsprogs)', async () => {
    const disk = await buildDisk('files');
    const partition = path.join(work, 'root.img');
    spawnSync('dd', [`if=${disk}`, `of=${partition}`, 'bs=1M', 'skip=1', 'status=none']);
    expect(spawnSync(debugfs!, ['-R', 'cat /etc/motd', partition], { encoding: 'utf8' }).stdout).toBe('built for an AMI\n');
    expect(spawnSync(debugfs!, ['-R', 'cat /etc/hostname', partition], { encoding: 'utf8' }).stdout).toBe('ami-host\n');
  });
});

const realOsbuild = process.env.IBS_TEST_OSBUILD?.trim() || undefined;
const sfdisk = ['/usr/sbin/sfdisk', '/sbin/sfdisk'].find((p) => !spawnSync(p, ['-v']).error);
const realMissing = [
  ...(realOsbuild ? [] : ['a real osbuild (set IBS_TEST_OSBUILD)']),
  ...(process.getuid?.() === 0 ? [] : ['root (loop devices)']),
  ...(sfdisk ? [] : ['sfdisk (util-linux)']),
  ...(debugfs && mke2fs ? [] : ['debugfs and mkfs.ext4 (e2fsprogs)']),
];
const skipReal = realMissing.length > 0;

describe.skipIf(noteSkip(skipReal, 'aws image built by real osbuild', realMissing.join(', ')))(skipTitle(skipReal, `test-distro-1 aws image built by real osbuild${realOsbuild ? ` (${realOsbuild})` : ''}`, realMissing.join(', ')), () => {
  it('builds offline: a sparse 64 MiB disk, the dos table of the manifest, ext4 with its UUID and label holding the os tree', { timeout: 300_000 }, async () => {
    const disk = buildDiskWithOsbuild(realOsbuild!, 'real');
    const stat = statSync(disk);
    expect(stat.size).toBe(64 * 1024 * 1024);
    expect(stat.blocks * 512).toBeLessThan(stat.size / 4);

    const image = awsManifest().manifest.pipelines.find((p) => p.name === 'image')!;
    const table = image.stages.find((s) => s.type === 'org.osbuild.sfdisk')!.options as { uuid: string };
    const mkfs = image.stages.find((s) => s.type === 'org.osbuild.mkfs.ext4')!.options as { uuid: string; label: string };
    const dumped = JSON.parse(spawnSync(sfdisk!, ['--json', disk], { encoding: 'utf8' }).stdout) as { partitiontable: { label: string; id: string; partitions: object[] } };
    expect(dumped.partitiontable).toMatchObject({ label: 'dos', id: table.uuid });
    expect(dumped.partitiontable.partitions).toEqual([expect.objectContaining({ start: 2048, size: 64 * 2048 - 2048, type: '83', bootable: true })]);

    const root = `${disk}?offset=${1024 * 1024}`;
    const fs = (request: string) => spawnSync(debugfs!, ['-R', request, root], { encoding: 'utf8' }).stdout;
    expect(fs('stats')).toMatch(new RegExp(`Filesystem volume name:\\s+${mkfs.label}\\n[\\s\\S]*Filesystem UUID:\\s+${mkfs.uuid}`));
    const etc = fs('ls -p /etc').split('\n').filter(Boolean).map((l) => l.split('/')).filter((f) => !f[5].startsWith('.'));
    expect(etc.map((f) => [f[5], f[2], f[6]]).sort()).toEqual([['hostname', '100644', '9'], ['motd', '100644', '17'], ['os-release', '100644', '84']]);
    expect(fs('cat /etc/motd')).toBe('built for an AMI\n');
    expect(fs('cat /etc/hostname')).toBe('ami-host\n');
    expect(fs('cat /etc/os-release')).toMatch(/^NAME="Test Distro"\nID=test-distro\n/);

    // The double (what test/ami runs) writes the same MBR, CHS bytes included.
    expect(readSector(await buildDisk('vs-real')).equals(readSector(disk))).toBe(true);
  });

  it('accepts the manifest with the stage ids we compute (osbuild --inspect)', { timeout: 60_000 }, () => {
    const generated = awsManifest();
    const manifest = path.join(work, 'inspect.json');
    writeFileSync(manifest, JSON.stringify(generated.manifest));
    const { file, args } = parseOsbuildCommand(realOsbuild!);
    const run = spawnSync(file, [...args, '--inspect', manifest], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(run.status, run.stderr).toBe(0);
    const inspected = JSON.parse(run.stdout) as { pipelines: { name: string; stages: { id: string }[] }[] };
    expect(inspected.pipelines.map((p) => [p.name, p.stages.map((s) => s.id)])).toEqual(
      computeManifestIds(generated.manifest).pipelines.map((p) => [p.name, p.stages.map((s) => s.id)]),
    );
  });

  it('builds a sparse 10 GiB disk (a few MiB allocated) whose MBR equals the double\'s (CHS capped at cylinder 1023)', { timeout: 300_000 }, async () => {
    const size = 10 * 1024 ** 3;
    const disk = buildDiskWithOsbuild(realOsbuild!, 'real-10g', size);
    const stat = statSync(disk);
    expect(stat.size).toBe(size);
    expect(stat.blocks * 512).toBeLessThan(64 * 1024 * 1024);
    const dumped = JSON.parse(spawnSync(sfdisk!, ['--json', disk], { encoding: 'utf8' }).stdout) as { partitiontable: { partitions: object[] } };
    expect(dumped.partitiontable.partitions).toEqual([expect.objectContaining({ start: 2048, size: size / 512 - 2048 })]);
    expect(spawnSync(debugfs!, ['-R', 'cat /etc/motd', `${disk}?offset=${1024 * 1024}`], { encoding: 'utf8' }).stdout).toBe('built for an AMI\n');
    expect(readSector(await buildDisk('vs-real-10g', size)).equals(readSector(disk))).toBe(true);
  });
});
