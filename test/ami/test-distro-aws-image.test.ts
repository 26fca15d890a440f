import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { runDouble } from '../osbuild-double/harness.ts';

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

async function buildDisk(name: string): Promise<string> {
  const manifest = path.join(work, `${name}.json`);
  writeFileSync(manifest, JSON.stringify(awsManifest().manifest));
  const out = path.join(work, `out-${name}`);
  const run = await runDouble(['--store', path.join(work, `store-${name}`), '--export', 'image', '--output-directory', out, '--json', manifest]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return path.join(out, 'image', 'disk.raw');
}

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
    const mbr = Buffer.alloc(512);
    const fd = openSync(disk, 'r');
    readSync(fd, mbr, 0, 512, 0);
    const superblock = Buffer.alloc(1024);
    readSync(fd, superblock, 0, 1024, 1024 * 1024 + 1024);
    closeSync(fd);
    expect(mbr.readUInt16LE(510)).toBe(0xaa55);
    expect(mbr[446]).toBe(0x80);
    expect(mbr[450]).toBe(0x83);
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
