import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BlobInfo, BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { AwsUploadTarget } from '../../layers/src/upload/aws-target.ts';
import { publishAmi, type AmiClients, type AmiPublishing } from '../../runner-ami/src/ami/publish-ami.ts';
import { startAmiStandIns, type AmiStandIns } from '../ami-stand-ins/start-ami-stand-ins.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const MiB = 1024 * 1024;
let standIns: AmiStandIns;
let dir: string;
let image: { path: string; size: number };
let clients: AmiClients & { destroy(): void };

/** An in-memory BlobStore: the S3 staging area of the ImportSnapshot path. */
function memoryBlobs(): BlobStore & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  return {
    objects,
    async put(key, body) {
      const data = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? Buffer.from(body) : await buffer(body);
      objects.set(key, data);
      return { key, size: data.length } satisfies BlobInfo;
    },
    async get(key) {
      const data = objects.get(key);
      return data ? Readable.from([data]) : undefined;
    },
    async head(key) {
      const data = objects.get(key);
      return data ? { key, size: data.length } : undefined;
    },
    async delete(key) {
      objects.delete(key);
    },
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key, size: objects.get(key)!.length }));
    },
    async downloadUrl() {
      return 'http://127.0.0.1/unused';
    },
  };
}

function makeClients(): AmiClients & { destroy(): void } {
  const ec2s = new Map<string, EC2Client>();
  const ebs = new EBSClient({ region: 'eu-west-1', endpoint: standIns.ebsEndpoint, credentials, maxAttempts: 1 });
  return {
    region: 'eu-west-1',
    ebs,
    ec2(region) {
      if (!ec2s.has(region)) ec2s.set(region, new EC2Client({ region, endpoint: standIns.ec2Endpoint, credentials, maxAttempts: 1 }));
      return ec2s.get(region)!;
    },
    destroy() {
      ebs.destroy();
      for (const c of ec2s.values()) c.destroy();
    },
  };
}

const target = (over: Partial<AwsUploadTarget> = {}): AwsUploadTarget => ({ type: 'aws', shareWithAccounts: [], copyToRegions: [], tags: {}, bootMode: 'uefi-preferred', ...over });
let compose = { id: randomUUID(), orgId: 'org-1', distribution: 'test-distro-1', imageType: 'aws', architecture: 'x86_64' };
const fast = { firstMs: 5, maxMs: 20, timeoutMs: 10_000 };

const publishing = (over: Partial<AmiPublishing> = {}): AmiPublishing => ({
  target: target(),
  compose,
  image,
  clients,
  method: 'ebs-direct',
  polling: fast,
  ...over,
});

beforeAll(async () => {
  standIns = await startAmiStandIns();
  dir = await mkdtemp(join(tmpdir(), 'publish-ami-'));
  const path = join(dir, 'disk.raw');
  const file = await open(path, 'w');
  await file.truncate(64 * MiB);
  await file.write(Buffer.alloc(MiB, 0x55), 0, MiB, 0);
  await file.write(Buffer.alloc(3 * MiB, 0x66), 0, 3 * MiB, 32 * MiB);
  await file.close();
  image = { path, size: 64 * MiB };
  clients = makeClients();
});
afterEach(() => {
  compose = { ...compose, id: randomUUID() };
  standIns.account.faults.length = 0;
  Object.assign(standIns.account.timing, { snapshotPendingPolls: 0, imagePendingPolls: 0, importPolls: 2 });
});
afterAll(async () => {
  clients.destroy();
  await standIns.stop();
  await rm(dir, { recursive: true, force: true });
});

const live = () => ({ images: standIns.account.liveImages().length, snapshots: standIns.account.liveSnapshots().length });

describe('publishAmi against the EBS direct and EC2 stand-ins', () => {
  it('registers a gp3/ENA/SR-IOV image of the snapshot, shares it with two accounts, copies it to two regions and shares it there', async () => {
    standIns.account.timing.snapshotPendingPolls = 2;
    standIns.account.timing.imagePendingPolls = 2;
    const accounts = ['123456789012', '210987654321'];
    const result = await publishAmi(publishing({ target: target({ shareWithAccounts: accounts, copyToRegions: ['us-east-1', 'ap-south-1'], tags: { team: 'platform' } }) }));
    expect(result.method).toBe('ebs-direct');
    expect(result.images.map((i) => i.region)).toEqual(['eu-west-1', 'us-east-1', 'ap-south-1']);
    expect(result.blocksWritten).toBe(8);
    expect(result.bytesSent).toBe(8 * 512 * 1024);
    for (const made of result.images) {
      const ami = standIns.account.images.get(made.ami)!;
      expect(ami).toMatchObject({ region: made.region, state: 'available', snapshotId: made.snapshotId, name: `test-distro-1-aws-x86_64-${compose.id}` });
      expect([...ami.launchPermissions]).toEqual(accounts);
      expect([...standIns.account.snapshots.get(made.snapshotId)!.createVolumePermissions]).toEqual(accounts);
      expect(ami.tags).toMatchObject({ team: 'platform', 'ibs:compose-id': compose.id, 'ibs:organization': 'org-1' });
      expect(standIns.account.snapshots.get(made.snapshotId)!.tags).toMatchObject({ 'ibs:compose-id': compose.id });
    }
    const register = standIns.account.callsOf('RegisterImage').at(-1)!.params;
    expect(register).toMatchObject({
      Architecture: 'x86_64',
      BootMode: 'uefi-preferred',
      RootDeviceName: '/dev/sda1',
      EnaSupport: 'true',
      SriovNetSupport: 'simple',
      VirtualizationType: 'hvm',
      'BlockDeviceMapping.1.DeviceName': '/dev/sda1',
      'BlockDeviceMapping.1.Ebs.VolumeType': 'gp3',
      'BlockDeviceMapping.1.Ebs.VolumeSize': '1',
    });
    expect(standIns.account.callsOf('CopyImage').map((c) => [c.region, c.params.SourceRegion])).toEqual([['us-east-1', 'eu-west-1'], ['ap-south-1', 'eu-west-1']]);
  });

  it('a duplicate name fails with EC2\'s message and deletes the snapshot it wrote', async () => {
    const before = live();
    await publishAmi(publishing({ target: target({ amiName: 'taken-name' }) }));
    const after = live();
    await expect(publishAmi(publishing({ target: target({ amiName: 'taken-name' }) }))).rejects.toThrow(/RegisterImage failed: InvalidAMIName.Duplicate: AMI name taken-name is already in use/);
    expect(live()).toEqual(after);
    expect(after.images).toBe(before.images + 1);
  });

  it('a failed copy in a second region removes the images and snapshots of every region', async () => {
    const before = live();
    standIns.account.faults.push({ action: 'CopyImage', status: 400, code: 'SnapshotLimitExceeded', message: 'Maximum number of snapshots reached', after: 1 });
    await expect(publishAmi(publishing({ target: target({ copyToRegions: ['us-east-1', 'us-west-2'] }) }))).rejects.toThrow(/CopyImage failed: SnapshotLimitExceeded: Maximum number of snapshots reached/);
    expect(live()).toEqual(before);
  });

  it('the ImportSnapshot path stages the disk in S3, polls the slow task with backoff, registers the imported snapshot and deletes the object', async () => {
    const blobs = memoryBlobs();
    standIns.account.readImportObject = async (bucket, key) => (bucket === 'artifact-bucket' ? blobs.objects.get(key) : undefined);
    standIns.account.timing.importPolls = 4;
    const key = `artifacts/org/${compose.id}/1/ami-import/disk.raw`;
    const result = await publishAmi(publishing({ method: 'import-snapshot', staging: { blobs, bucket: 'artifact-bucket', key, roleName: 'vmimport' } }));
    expect(result.method).toBe('import-snapshot');
    expect(result.bytesSent).toBe(64 * MiB);
    expect(standIns.account.callsOf('DescribeImportSnapshotTasks').length).toBeGreaterThanOrEqual(5);
    const imported = standIns.account.snapshots.get(result.images[0].snapshotId)!;
    expect(imported.origin).toBe('import-snapshot');
    expect(imported.tags['ibs:compose-id']).toBe(compose.id);
    expect(blobs.objects.size).toBe(0);
    expect(standIns.account.callsOf('ImportSnapshot').at(-1)!.params).toMatchObject({ 'DiskContainer.Format': 'raw', 'DiskContainer.UserBucket.S3Bucket': 'artifact-bucket', 'DiskContainer.UserBucket.S3Key': key, RoleName: 'vmimport' });
  });

  it('cancel while ImportSnapshot runs cancels the import task and deletes the staged object', async () => {
    const blobs = memoryBlobs();
    standIns.account.readImportObject = async (_bucket, key) => blobs.objects.get(key);
    standIns.account.timing.importPolls = 1000;
    const before = live();
    const seen = standIns.account.callsOf('DescribeImportSnapshotTasks').length;
    const abort = new AbortController();
    const staging = { blobs, bucket: 'artifact-bucket', key: `artifacts/org/${compose.id}/1/ami-import/disk.raw`, roleName: 'vmimport' };
    const run = publishAmi(publishing({ method: 'import-snapshot', staging, polling: { ...fast, signal: abort.signal } }));
    while (standIns.account.callsOf('DescribeImportSnapshotTasks').length === seen) await new Promise((r) => setTimeout(r, 5));
    abort.abort(new Error('build stopped: cancel'));
    await expect(run).rejects.toThrow(/cancel|aborted/);
    const cancelled = standIns.account.callsOf('CancelImportTask').at(-1)!;
    expect(cancelled.params.ImportTaskId).toBe(standIns.account.callsOf('DescribeImportSnapshotTasks').at(-1)!.params['ImportTaskId.1']);
    expect(blobs.objects.size).toBe(0);
    expect(live()).toEqual(before);
  });

  it('cancel while the image is being registered deregisters it and deletes its snapshot', async () => {
    const before = live();
    const seen = standIns.account.callsOf('DescribeImages').length;
    standIns.account.timing.imagePendingPolls = 1000;
    const abort = new AbortController();
    const run = publishAmi(publishing({ polling: { ...fast, signal: abort.signal } }));
    while (standIns.account.callsOf('DescribeImages').length === seen) await new Promise((r) => setTimeout(r, 5));
    abort.abort(new Error('build stopped: cancel'));
    await expect(run).rejects.toThrow(/cancel|aborted/);
    expect(live()).toEqual(before);
    expect(standIns.account.callsOf('DeregisterImage').length).toBeGreaterThan(0);
  });
});
