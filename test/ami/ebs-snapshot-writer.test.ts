import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EBSClient } from '@aws-sdk/client-ebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EBS_BLOCK_BYTES, writeEbsSnapshot } from '../../runner-ami/src/ami/ebs-snapshot-writer.ts';
import { linearChecksum } from '../ami-stand-ins/ebs-direct-stand-in.ts';
import { startAmiStandIns, type AmiStandIns } from '../ami-stand-ins/start-ami-stand-ins.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let standIns: AmiStandIns;
let dir: string;
let ebs: EBSClient;

beforeAll(async () => {
  standIns = await startAmiStandIns();
  dir = await mkdtemp(join(tmpdir(), 'ebs-writer-'));
  ebs = new EBSClient({ region: 'eu-west-1', endpoint: standIns.ebsEndpoint, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  ebs.destroy();
  await standIns.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A sparse file of `size` bytes with `fill(index)` written at each given block index. */
async function sparseImage(name: string, size: number, blocks: number[], tail?: Buffer): Promise<string> {
  const path = join(dir, name);
  const file = await open(path, 'w');
  await file.truncate(size);
  for (const index of blocks) {
    const data = Buffer.alloc(EBS_BLOCK_BYTES, index % 251 + 1);
    data.write(`block ${index}`, 0);
    await file.write(data, 0, data.length, index * EBS_BLOCK_BYTES);
  }
  if (tail) await file.write(tail, 0, tail.length, size - tail.length);
  await file.close();
  return path;
}

describe('EBS direct snapshot writer against the EBS stand-in', () => {
  it('writes a sparse 10 GiB disk: only its non-zero blocks, each as the image has it, then completes with the LINEAR checksum', async () => {
    const size = 10 * 1024 ** 3;
    const blocks = [0, 1, 7, 2048, 20479];
    const path = await sparseImage('sparse.raw', size, blocks);
    const progress: number[] = [];
    const result = await writeEbsSnapshot({ ebs, path, size, description: 'test', tags: { a: 'b' }, onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ volumeGiB: 10, blocksTotal: 20480, blocksWritten: 5, bytesSent: 5 * EBS_BLOCK_BYTES });
    // The holes were never read (SEEK_DATA), the data blocks all were.
    expect(result.blocksRead).toBeLessThan(20);
    expect(progress.at(-1)).toBe(result.blocksRead);
    const snapshot = standIns.account.snapshots.get(result.snapshotId)!;
    expect(snapshot.status).toBe('completed');
    expect(snapshot.tags).toEqual({ a: 'b' });
    expect([...snapshot.blocks.keys()].sort((a, b) => a - b)).toEqual(blocks);
    const image = await open(path, 'r');
    const stored = await open(snapshot.path, 'r');
    for (const index of blocks) {
      const a = Buffer.alloc(EBS_BLOCK_BYTES);
      const b = Buffer.alloc(EBS_BLOCK_BYTES);
      await image.read(a, 0, a.length, index * EBS_BLOCK_BYTES);
      await stored.read(b, 0, b.length, index * EBS_BLOCK_BYTES);
      expect(b.equals(a)).toBe(true);
    }
    await image.close();
    await stored.close();
    const puts = standIns.account.callsOf('PutSnapshotBlock').filter((c) => c.params.SnapshotId === result.snapshotId);
    expect(puts).toHaveLength(5);
    expect(standIns.account.callsOf('CompleteSnapshot').at(-1)!.params.ChangedBlocksCount).toBe('5');
  });

  it('pads a last partial block with zeros: the snapshot equals the image byte for byte (then zeros to the GiB)', async () => {
    const size = 3 * EBS_BLOCK_BYTES + 4096 + 17;
    const path = await sparseImage('small.raw', size, [0, 2], Buffer.from('the tail of the disk'));
    const result = await writeEbsSnapshot({ ebs, path, size, description: 'small', tags: {} });
    expect(result.blocksWritten).toBe(3);
    const snapshot = standIns.account.snapshots.get(result.snapshotId)!;
    // The snapshot holds exactly the blocks the image fills; beyond them it is a hole of the GiB-sized volume.
    expect(Math.max(...snapshot.blocks.keys())).toBe(3);
    const stored = Buffer.alloc(4 * EBS_BLOCK_BYTES);
    const file = await open(snapshot.path, 'r');
    await file.read(stored, 0, stored.length, 0);
    expect((await file.stat()).size).toBe(1024 ** 3);
    await file.close();
    expect(stored.subarray(0, size).equals(await readFile(path))).toBe(true);
    expect(stored.subarray(size).equals(Buffer.alloc(stored.length - size))).toBe(true);
  });

  it('the stand-in refuses a wrong block checksum, a wrong length and a wrong aggregate (the checks the writer relies on)', async () => {
    const { PutSnapshotBlockCommand, StartSnapshotCommand, CompleteSnapshotCommand } = await import('@aws-sdk/client-ebs');
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const block = Buffer.alloc(EBS_BLOCK_BYTES, 7);
    const good = createHash('sha256').update(block).digest('base64');
    const bad = createHash('sha256').update('other').digest('base64');
    await expect(ebs.send(new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: 0, BlockData: block, DataLength: EBS_BLOCK_BYTES, Checksum: bad, ChecksumAlgorithm: 'SHA256' }))).rejects.toThrow(/checksum/);
    await expect(ebs.send(new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: 0, BlockData: block.subarray(1), DataLength: EBS_BLOCK_BYTES - 1, Checksum: good, ChecksumAlgorithm: 'SHA256' }))).rejects.toThrow(/Data length/);
    await expect(ebs.send(new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: 2048, BlockData: block, DataLength: EBS_BLOCK_BYTES, Checksum: good, ChecksumAlgorithm: 'SHA256' }))).rejects.toThrow(/outside the volume/);
    await ebs.send(new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: 3, BlockData: block, DataLength: EBS_BLOCK_BYTES, Checksum: good, ChecksumAlgorithm: 'SHA256' }));
    // The base64 strings concatenated (a misreading of the rule) is not the LINEAR checksum.
    const wrong = createHash('sha256').update(good).digest('base64');
    expect(wrong).not.toBe(linearChecksum(new Map([[3, good]])));
    await expect(ebs.send(new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: 1, Checksum: wrong, ChecksumAlgorithm: 'SHA256', ChecksumAggregationMethod: 'LINEAR' }))).rejects.toThrow(/aggregated checksum/);
  });
});
