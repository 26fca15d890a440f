/**
 * The fast path to a snapshot: the raw disk written straight into a new EBS snapshot with the EBS direct APIs —
 * StartSnapshot, parallel PutSnapshotBlock of 512 KiB blocks (all-zero blocks skipped: images are sparse), then
 * CompleteSnapshot with the LINEAR aggregate checksum. No S3 round trip, no compression.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { CompleteSnapshotCommand, PutSnapshotBlockCommand, StartSnapshotCommand, type EBSClient } from '@aws-sdk/client-ebs';
import { AmiError, withAwsRetries } from './ami-errors.ts';
import { blocksOfExtents, dataExtentsOf } from './data-extents.ts';

/** EBS direct's block size: every PutSnapshotBlock carries exactly this many bytes. */
export const EBS_BLOCK_BYTES = 512 * 1024;
const GIB = 1024 ** 3;
const ZERO_BLOCK = Buffer.alloc(EBS_BLOCK_BYTES);

export interface SnapshotWrite {
  ebs: EBSClient;
  path: string;
  /** Bytes of the raw disk. */
  size: number;
  description: string;
  tags: Record<string, string>;
  kmsKeyArn?: string;
  /** Blocks in flight at once. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called with the blocks read so far and how many will be read (holes are not) — `registering` progress. */
  onProgress?: (done: number, total: number) => void;
  /** Told the snapshot id as soon as it exists (clean-up must know it even if a later step fails). */
  onStarted?: (snapshotId: string) => void;
}

export interface WrittenSnapshot {
  snapshotId: string;
  volumeGiB: number;
  blocksTotal: number;
  /** Blocks in the file's data extents (holes excluded). */
  blocksRead: number;
  blocksWritten: number;
  bytesSent: number;
}

/** The snapshot's size: the disk rounded up to whole GiB (EBS volumes are sized in GiB). */
export const volumeGiBOf = (size: number): number => Math.max(1, Math.ceil(size / GIB));

/** LINEAR aggregation: SHA-256 over the written blocks' raw SHA-256 digests in ascending block index, base64. */
export function aggregateChecksum(digests: ReadonlyMap<number, Buffer>): string {
  const hash = createHash('sha256');
  for (const index of [...digests.keys()].sort((a, b) => a - b)) hash.update(digests.get(index)!);
  return hash.digest('base64');
}

export async function writeEbsSnapshot(write: SnapshotWrite): Promise<WrittenSnapshot> {
  const { ebs, signal } = write;
  const volumeGiB = volumeGiBOf(write.size);
  const started = await withAwsRetries(
    'StartSnapshot',
    () =>
      ebs.send(
        new StartSnapshotCommand({
          VolumeSize: volumeGiB,
          Description: write.description,
          Tags: Object.entries(write.tags).map(([Key, Value]) => ({ Key, Value })),
          // Idempotent: a retried StartSnapshot whose first answer was lost does not start a second snapshot.
          ClientToken: createHash('sha256').update(`${write.description}|${write.path}`).digest('hex').slice(0, 64),
          Timeout: 60,
          ...(write.kmsKeyArn ? { Encrypted: true, KmsKeyArn: write.kmsKeyArn } : {}),
        }),
        { abortSignal: signal },
      ),
    { signal },
  );
  const snapshotId = started.SnapshotId;
  if (!snapshotId) throw new AmiError('StartSnapshot answered no snapshot id', undefined, false);
  if (started.BlockSize !== undefined && started.BlockSize !== EBS_BLOCK_BYTES) {
    throw new AmiError(`StartSnapshot answered a block size of ${started.BlockSize}, expected ${EBS_BLOCK_BYTES}`, undefined, false);
  }
  write.onStarted?.(snapshotId);

  const blocksTotal = Math.ceil(write.size / EBS_BLOCK_BYTES);
  // Holes of the sparse file are never read; blocks of zeros inside data extents are skipped after reading.
  const candidates = blocksOfExtents(await dataExtentsOf(write.path, write.size), EBS_BLOCK_BYTES);
  const digests = new Map<number, Buffer>();
  let next = 0;
  let read = 0;
  let bytesSent = 0;
  const file = await open(write.path, 'r');
  try {
    const worker = async (): Promise<void> => {
      // One buffer per worker: memory is concurrency × 512 KiB whatever the disk's size.
      const buffer = Buffer.alloc(EBS_BLOCK_BYTES);
      for (;;) {
        signal?.throwIfAborted();
        if (next >= candidates.length) return;
        const index = candidates[next++];
        buffer.fill(0);
        const { bytesRead } = await file.read(buffer, 0, EBS_BLOCK_BYTES, index * EBS_BLOCK_BYTES);
        read++;
        write.onProgress?.(read, candidates.length);
        // The last block is padded with zeros to a whole block; a block of zeros is a hole: not sent.
        if (bytesRead === 0 || buffer.equals(ZERO_BLOCK)) continue;
        const digest = createHash('sha256').update(buffer).digest();
        await withAwsRetries(
          `PutSnapshotBlock ${index} of ${snapshotId}`,
          () =>
            ebs.send(
              new PutSnapshotBlockCommand({
                SnapshotId: snapshotId,
                BlockIndex: index,
                BlockData: buffer,
                DataLength: EBS_BLOCK_BYTES,
                Checksum: digest.toString('base64'),
                ChecksumAlgorithm: 'SHA256',
                Progress: Math.floor((read / candidates.length) * 100),
              }),
              { abortSignal: signal },
            ),
          { signal },
        );
        digests.set(index, digest);
        bytesSent += EBS_BLOCK_BYTES;
      }
    };
    await Promise.all(Array.from({ length: Math.min(write.concurrency ?? 32, Math.max(1, candidates.length)) }, worker));
  } finally {
    await file.close();
  }
  await withAwsRetries(
    `CompleteSnapshot ${snapshotId}`,
    () =>
      ebs.send(
        new CompleteSnapshotCommand({
          SnapshotId: snapshotId,
          ChangedBlocksCount: digests.size,
          Checksum: aggregateChecksum(digests),
          ChecksumAlgorithm: 'SHA256',
          ChecksumAggregationMethod: 'LINEAR',
        }),
        { abortSignal: signal },
      ),
    { signal },
  );
  return { snapshotId, volumeGiB, blocksTotal, blocksRead: read, blocksWritten: digests.size, bytesSent };
}
