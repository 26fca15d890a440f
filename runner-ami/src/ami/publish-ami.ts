/**
 * From a raw disk to shared AMIs in every requested region: snapshot (EBS direct, or S3 + ImportSnapshot), register,
 * share, copy and share in the other regions. Everything it made is deleted again when a step fails or the run is
 * cancelled, so a failed compose leaves no images or snapshots behind.
 */
import type { EBSClient } from '@aws-sdk/client-ebs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsUploadResult, AwsUploadTarget, SnapshotMethod, AmiImage } from '../../../layers/src/upload/aws-target.ts';
import type { BlobStore } from '../../../layers/src/ports/blob-store.ts';
import { writeEbsSnapshot } from './ebs-snapshot-writer.ts';
import { copyImage, deleteImage, registerImage, shareImage, tagResources, waitForImage, waitForSnapshot, type Polling } from './ec2-images.ts';
import { importSnapshot } from './import-snapshot.ts';
import { volumeGiBOf } from './ebs-snapshot-writer.ts';

/** SDK clients of the runner's region (EBS direct) and of every region (EC2). */
export interface AmiClients {
  region: string;
  ebs: EBSClient;
  ec2(region: string): EC2Client;
}

/** What of the compose names and tags the AMI. */
export interface AmiCompose {
  id: string;
  orgId: string;
  imageName?: string;
  distribution: string;
  imageType: string;
  architecture: string;
}

export interface AmiPublishing {
  target: AwsUploadTarget;
  compose: AmiCompose;
  image: { path: string; size: number };
  clients: AmiClients;
  method: SnapshotMethod;
  /** For import-snapshot: where the raw disk is staged. */
  staging?: { blobs: BlobStore; bucket: string; key: string; roleName: string };
  polling: Polling;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** One line for the build log. */
  note?: (line: string) => void;
}

export interface PublishedAmis extends AwsUploadResult {
  /** Bytes sent to AWS to make the snapshot (blocks, or the S3 object). */
  bytesSent: number;
  blocksWritten?: number;
}

/** A unique AMI name: the user's, or the request's image name (or distribution-type-arch) and the compose id. */
export function amiNameOf(target: AwsUploadTarget, compose: AmiCompose): string {
  if (target.amiName) return target.amiName;
  const base = (compose.imageName || `${compose.distribution}-${compose.imageType}-${compose.architecture}`).replace(/[^A-Za-z0-9()[\] ./\-'@_]/g, '_').slice(0, 128 - 37);
  return `${base}-${compose.id}`;
}

/** Our tags (compose, organization, image type, distribution) and the user's, on every image and snapshot. */
export function amiTagsOf(target: AwsUploadTarget, compose: AmiCompose, name: string): Record<string, string> {
  return {
    ...target.tags,
    Name: target.tags.Name ?? name,
    'ibs:compose-id': compose.id,
    'ibs:organization': compose.orgId,
    'ibs:image-type': compose.imageType,
    'ibs:distribution': compose.distribution,
  };
}

const ec2ArchitectureOf = (arch: string): 'x86_64' | 'arm64' => (arch === 'aarch64' ? 'arm64' : 'x86_64');

/** Deletes every image and snapshot of `made` (in reverse order); returns what could not be deleted. */
export async function removeAmis(clients: AmiClients, made: readonly Partial<AmiImage>[]): Promise<string[]> {
  const problems: string[] = [];
  for (const item of [...made].reverse()) {
    if (!item.region) continue;
    problems.push(...(await deleteImage(clients.ec2(item.region), { ami: item.ami, snapshotId: item.snapshotId })));
  }
  return problems;
}

export async function publishAmi(p: AmiPublishing): Promise<PublishedAmis> {
  const { clients, target, compose, polling } = p;
  const home = clients.region;
  const ec2 = clients.ec2(home);
  const name = amiNameOf(target, compose);
  const tags = amiTagsOf(target, compose, name);
  const description = `${compose.distribution} ${compose.imageType} ${compose.architecture}, compose ${compose.id}`;
  const made: Partial<AmiImage>[] = [];
  const primary: Partial<AmiImage> = { region: home };
  made.push(primary);
  try {
    let bytesSent: number;
    let blocksWritten: number | undefined;
    if (p.method === 'ebs-direct') {
      p.note?.(`==> writing snapshot with the EBS direct APIs (${home})`);
      const written = await writeEbsSnapshot({
        ebs: clients.ebs,
        path: p.image.path,
        size: p.image.size,
        description,
        tags,
        kmsKeyArn: target.kmsKeyArn,
        concurrency: p.concurrency,
        signal: polling.signal,
        onProgress: p.onProgress,
        onStarted: (id) => (primary.snapshotId = id),
      });
      ({ bytesSent, blocksWritten } = written);
      p.note?.(`==> snapshot ${written.snapshotId}: ${written.blocksWritten} of ${written.blocksTotal} blocks written`);
    } else {
      if (!p.staging) throw new Error('import-snapshot needs a staging bucket');
      p.note?.(`==> uploading to s3://${p.staging.bucket}/${p.staging.key} for ImportSnapshot (${home})`);
      const imported = await importSnapshot({ ec2, ...p.staging, path: p.image.path, description, tags, kmsKeyArn: target.kmsKeyArn, polling, onProgress: p.onProgress });
      primary.snapshotId = imported.snapshotId;
      bytesSent = imported.bytesSent;
      p.note?.(`==> snapshot ${imported.snapshotId} imported by ${imported.importTaskId} after ${imported.polls} polls`);
      await tagResources(ec2, [imported.snapshotId], tags, polling.signal);
    }
    await waitForSnapshot(ec2, primary.snapshotId!, polling);
    primary.ami = await registerImage(
      ec2,
      { name, description, snapshotId: primary.snapshotId!, volumeGiB: volumeGiBOf(p.image.size), architecture: ec2ArchitectureOf(compose.architecture), bootMode: target.bootMode, tags },
      polling.signal,
    );
    p.note?.(`==> registered ${primary.ami} (${name}) in ${home}`);
    await waitForImage(ec2, primary.ami, polling);
    await shareImage(ec2, primary.ami, primary.snapshotId!, target.shareWithAccounts, polling.signal);
    for (const region of target.copyToRegions.filter((r) => r !== home)) {
      const copy: Partial<AmiImage> = { region };
      made.push(copy);
      const there = clients.ec2(region);
      copy.ami = await copyImage(there, { sourceImageId: primary.ami, sourceRegion: home, name, description, tags, kmsKeyArn: target.kmsKeyArn }, polling.signal);
      copy.snapshotId = await waitForImage(there, copy.ami, polling);
      // The copy's snapshot has none of our tags (the clean-up permissions depend on them).
      await tagResources(there, [copy.snapshotId], tags, polling.signal);
      await shareImage(there, copy.ami, copy.snapshotId, target.shareWithAccounts, polling.signal);
      p.note?.(`==> copied to ${copy.ami} in ${region}`);
    }
    if (target.shareWithAccounts.length) p.note?.(`==> shared with ${target.shareWithAccounts.join(', ')}`);
    return { type: 'aws', method: p.method, images: made as AmiImage[], bytesSent, ...(blocksWritten !== undefined ? { blocksWritten } : {}) };
  } catch (error) {
    const problems = await removeAmis(clients, made);
    p.note?.(`==> AMI path stopped, removed what it made${problems.length ? ` (except: ${problems.join('; ')})` : ''}`);
    throw error;
  }
}
