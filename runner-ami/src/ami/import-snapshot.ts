/**
 * The compatible path to a snapshot, for accounts that deny the EBS direct APIs: the raw disk to S3 (the artifact
 * bucket, under the attempt's artifact prefix), EC2 ImportSnapshot from there, polled with backoff until it is done;
 * the temporary object is deleted whatever happens.
 */
import { createReadStream } from 'node:fs';
import { CancelImportTaskCommand, DescribeImportSnapshotTasksCommand, ImportSnapshotCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { BlobStore } from '../../../layers/src/ports/blob-store.ts';
import { AmiError, withAwsRetries } from './ami-errors.ts';
import { pollUntil, type Polling } from './ec2-images.ts';

export interface SnapshotImport {
  ec2: EC2Client;
  blobs: BlobStore;
  /** The bucket the BlobStore writes to (ImportSnapshot reads the object from it). */
  bucket: string;
  /** The object key (under the attempt's artifact prefix, so the attempt's clean-up covers it too). */
  key: string;
  path: string;
  description: string;
  tags: Record<string, string>;
  kmsKeyArn?: string;
  /** The VM Import service role (`vmimport` unless the stack names another). */
  roleName: string;
  polling: Polling;
  onProgress?: (done: number, total: number) => void;
  /** Told the task id as soon as it exists. */
  onStarted?: (importTaskId: string) => void;
}

export interface ImportedSnapshot {
  snapshotId: string;
  importTaskId: string;
  bytesSent: number;
  polls: number;
}

export async function importSnapshot(imp: SnapshotImport): Promise<ImportedSnapshot> {
  const { ec2, polling } = imp;
  const signal = polling.signal;
  const source = createReadStream(imp.path, { highWaterMark: 1024 * 1024 });
  const onAbort = () => source.destroy(new Error('upload aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  let stored;
  try {
    stored = await imp.blobs.put(imp.key, source, { contentType: 'application/octet-stream' });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  let taskId: string | undefined;
  try {
    const { ImportTaskId } = await withAwsRetries(
      'ImportSnapshot',
      () =>
        ec2.send(
          new ImportSnapshotCommand({
            Description: imp.description,
            DiskContainer: { Description: imp.description, Format: 'raw', UserBucket: { S3Bucket: imp.bucket, S3Key: imp.key } },
            RoleName: imp.roleName,
            TagSpecifications: [{ ResourceType: 'import-snapshot-task', Tags: Object.entries(imp.tags).map(([Key, Value]) => ({ Key, Value })) }],
            ...(imp.kmsKeyArn ? { Encrypted: true, KmsKeyId: imp.kmsKeyArn } : {}),
          }),
          { abortSignal: signal },
        ),
      { signal },
    );
    if (!ImportTaskId) throw new AmiError('ImportSnapshot answered no task id', undefined, false);
    taskId = ImportTaskId;
    imp.onStarted?.(ImportTaskId);
    let polls = 0;
    const snapshotId = await pollUntil(`import task ${ImportTaskId}`, polling, async () => {
      polls++;
      const { ImportSnapshotTasks } = await withAwsRetries(
        'DescribeImportSnapshotTasks',
        () => ec2.send(new DescribeImportSnapshotTasksCommand({ ImportTaskIds: [ImportTaskId] }), { abortSignal: signal }),
        { signal },
      );
      const detail = ImportSnapshotTasks?.[0]?.SnapshotTaskDetail;
      const status = detail?.Status;
      if (status === 'deleted' || status === 'deleting') {
        throw new AmiError(`ImportSnapshot ${ImportTaskId} failed: ${detail?.StatusMessage ?? status}`, 'ImportSnapshotFailed', false);
      }
      imp.onProgress?.(Number(detail?.Progress ?? 0), 100);
      return status === 'completed' ? detail?.SnapshotId : undefined;
    });
    imp.onProgress?.(100, 100);
    taskId = undefined;
    return { snapshotId, importTaskId: ImportTaskId, bytesSent: stored.size, polls };
  } catch (error) {
    // A cancelled or failed run must not leave an import running that makes a snapshot nobody deletes.
    if (taskId) await ec2.send(new CancelImportTaskCommand({ ImportTaskId: taskId, CancelReason: 'image build stopped' })).catch(() => {});
    throw error;
  } finally {
    await imp.blobs.delete(imp.key).catch(() => {});
  }
}
