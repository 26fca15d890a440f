/**
 * The EC2 side of an AMI: wait for a snapshot, register it as an image, share, copy to another region, tag, and
 * undo (deregister, delete snapshot). Each call keeps EC2's error code and message (see ami-errors.ts).
 */
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RegisterImageCommand,
  type EC2Client,
  type Image,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { AmiBootMode } from '../../../layers/src/upload/aws-target.ts';
import { AmiError, withAwsRetries } from './ami-errors.ts';

/** How long to wait for EC2 and how often to ask (doubling from `firstMs` up to `maxMs`). */
export interface Polling {
  firstMs: number;
  maxMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_POLLING: Polling = { firstMs: 1000, maxMs: 15_000, timeoutMs: 60 * 60_000 };

/** The root device of every AMI we register (EC2's default for HVM images built by osbuild). */
export const ROOT_DEVICE_NAME = '/dev/sda1';

const tagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });

/** Asks `check` until it returns a value, with backoff; `what` names the wait in the timeout error. */
export async function pollUntil<T>(what: string, polling: Polling, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + polling.timeoutMs;
  for (let delay = polling.firstMs; ; delay = Math.min(polling.maxMs, delay * 2)) {
    polling.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() + delay > deadline) throw new AmiError(`${what}: not done after ${Math.round(polling.timeoutMs / 1000)} s`, undefined, true);
    await sleep(delay, polling.signal);
  }
}

export async function waitForSnapshot(ec2: EC2Client, snapshotId: string, polling: Polling): Promise<void> {
  await pollUntil(`snapshot ${snapshotId}`, polling, async () => {
    const { Snapshots } = await withAwsRetries('DescribeSnapshots', () => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })), { signal: polling.signal });
    const snapshot = Snapshots?.[0];
    if (snapshot?.State === 'error') throw new AmiError(`snapshot ${snapshotId} failed: ${snapshot.StateMessage ?? 'state error'}`, 'SnapshotError', false);
    return snapshot?.State === 'completed' ? true : undefined;
  });
}

/** Waits until the image is `available`; its root snapshot id (a copy's is new). */
export async function waitForImage(ec2: EC2Client, ami: string, polling: Polling): Promise<string> {
  const image = await pollUntil<Image>(`image ${ami}`, polling, async () => {
    const { Images } = await withAwsRetries('DescribeImages', () => ec2.send(new DescribeImagesCommand({ ImageIds: [ami] })), { signal: polling.signal });
    const found = Images?.[0];
    if (found?.State === 'failed' || found?.State === 'error') {
      throw new AmiError(`image ${ami} failed: ${found.StateReason?.Message ?? found.State}`, found.StateReason?.Code ?? 'ImageFailed', false);
    }
    return found?.State === 'available' ? found : undefined;
  });
  const snapshotId = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName)?.Ebs?.SnapshotId;
  if (!snapshotId) throw new AmiError(`image ${ami} has no root snapshot`, undefined, false);
  return snapshotId;
}

export interface Registration {
  name: string;
  description: string;
  snapshotId: string;
  volumeGiB: number;
  /** EC2's architecture name. */
  architecture: 'x86_64' | 'arm64';
  bootMode: AmiBootMode;
  tags: Record<string, string>;
}

/** RegisterImage: HVM, ENA and SR-IOV on, one gp3 root volume from the snapshot; the image and snapshot tagged. */
export async function registerImage(ec2: EC2Client, r: Registration, signal?: AbortSignal): Promise<string> {
  const { ImageId } = await withAwsRetries(
    'RegisterImage',
    () =>
      ec2.send(
        new RegisterImageCommand({
          Name: r.name,
          Description: r.description,
          Architecture: r.architecture,
          BootMode: r.bootMode,
          VirtualizationType: 'hvm',
          EnaSupport: true,
          SriovNetSupport: 'simple',
          RootDeviceName: ROOT_DEVICE_NAME,
          BlockDeviceMappings: [
            { DeviceName: ROOT_DEVICE_NAME, Ebs: { SnapshotId: r.snapshotId, VolumeSize: r.volumeGiB, VolumeType: 'gp3', DeleteOnTermination: true } },
          ],
          TagSpecifications: [{ ResourceType: 'image', Tags: tagList(r.tags) }],
        }),
        { abortSignal: signal },
      ),
    { signal },
  );
  if (!ImageId) throw new AmiError('RegisterImage answered no image id', undefined, false);
  return ImageId;
}

export async function tagResources(ec2: EC2Client, ids: string[], tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
  await withAwsRetries('CreateTags', () => ec2.send(new CreateTagsCommand({ Resources: ids, Tags: tagList(tags) }), { abortSignal: signal }), { signal });
}

/** Launch permission on the image and create-volume permission on its snapshot, for each account. */
export async function shareImage(ec2: EC2Client, ami: string, snapshotId: string, accounts: string[], signal?: AbortSignal): Promise<void> {
  if (accounts.length === 0) return;
  const users = accounts.map((UserId) => ({ UserId }));
  await withAwsRetries('ModifyImageAttribute', () => ec2.send(new ModifyImageAttributeCommand({ ImageId: ami, LaunchPermission: { Add: users } }), { abortSignal: signal }), { signal });
  await withAwsRetries(
    'ModifySnapshotAttribute',
    () =>
      ec2.send(
        new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission', OperationType: 'add', CreateVolumePermission: { Add: users } }),
        { abortSignal: signal },
      ),
    { signal },
  );
}

/** CopyImage into the client's region (tags on the copy; encrypted with the key when one is given). */
export async function copyImage(
  ec2: EC2Client,
  copy: { sourceImageId: string; sourceRegion: string; name: string; description: string; tags: Record<string, string>; kmsKeyArn?: string },
  signal?: AbortSignal,
): Promise<string> {
  const { ImageId } = await withAwsRetries(
    'CopyImage',
    () =>
      ec2.send(
        new CopyImageCommand({
          SourceImageId: copy.sourceImageId,
          SourceRegion: copy.sourceRegion,
          Name: copy.name,
          Description: copy.description,
          TagSpecifications: [{ ResourceType: 'image', Tags: tagList(copy.tags) }],
          ...(copy.kmsKeyArn ? { Encrypted: true, KmsKeyId: copy.kmsKeyArn } : {}),
        }),
        { abortSignal: signal },
      ),
    { signal },
  );
  if (!ImageId) throw new AmiError('CopyImage answered no image id', undefined, false);
  return ImageId;
}

/** Undoes an image: deregister it (if made), then delete its snapshot (if made). Errors are reported, not thrown. */
export async function deleteImage(ec2: EC2Client, made: { ami?: string; snapshotId?: string }): Promise<string[]> {
  const problems: string[] = [];
  if (made.ami) {
    await withAwsRetries('DeregisterImage', () => ec2.send(new DeregisterImageCommand({ ImageId: made.ami }))).catch((e: Error) => problems.push(e.message));
  }
  if (made.snapshotId) {
    await withAwsRetries('DeleteSnapshot', () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: made.snapshotId }))).catch((e: Error) => problems.push(e.message));
  }
  return problems;
}
