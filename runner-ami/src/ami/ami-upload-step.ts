/**
 * The runner's `aws` upload step: picks the raw disk osbuild exported, makes the SDK clients (the stand-ins' endpoints
 * come from AWS_ENDPOINT_URL_EBS / AWS_ENDPOINT_URL_EC2, read by the SDK itself) and publishes the AMIs.
 */
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { artifactPrefix } from '../../../layers/src/compose/blob-keys.ts';
import type { Compose } from '../../../layers/src/compose/compose.ts';
import type { BlobStore } from '../../../layers/src/ports/blob-store.ts';
import { SNAPSHOT_METHODS, type AwsUploadResult, type SnapshotMethod } from '../../../layers/src/upload/aws-target.ts';
import type { ExportedFile } from '../upload.ts';
import { AmiError } from './ami-errors.ts';
import { DEFAULT_POLLING, type Polling } from './ec2-images.ts';
import { publishAmi, removeAmis, type AmiClients, type PublishedAmis } from './publish-ami.ts';

/** The stack's AMI settings (environment of the runner). */
export interface AmiSettings {
  region: string;
  /** Used when a request does not choose: IBS_AMI_SNAPSHOT_METHOD, default ebs-direct. */
  defaultMethod: SnapshotMethod;
  /** Bucket the BlobStore writes to: ImportSnapshot reads the staged disk from it (IBS_BUCKET). */
  stagingBucket?: string;
  /** VM Import service role (IBS_AMI_IMPORT_ROLE, default vmimport). */
  importRole: string;
  /** Blocks in flight (IBS_AMI_CONCURRENCY, default 32). */
  concurrency: number;
  polling: Polling;
}

export function amiSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AmiSettings {
  const method = (env.IBS_AMI_SNAPSHOT_METHOD ?? 'ebs-direct') as SnapshotMethod;
  if (!SNAPSHOT_METHODS.includes(method)) throw new Error(`IBS_AMI_SNAPSHOT_METHOD must be one of ${SNAPSHOT_METHODS.join(', ')}`);
  const firstMs = Number(env.IBS_AMI_POLL_MS ?? DEFAULT_POLLING.firstMs);
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    defaultMethod: method,
    stagingBucket: env.IBS_AMI_STAGING_BUCKET ?? env.IBS_BUCKET,
    importRole: env.IBS_AMI_IMPORT_ROLE ?? 'vmimport',
    concurrency: Number(env.IBS_AMI_CONCURRENCY ?? 32),
    polling: { ...DEFAULT_POLLING, firstMs, maxMs: Math.max(firstMs, DEFAULT_POLLING.maxMs * (firstMs / DEFAULT_POLLING.firstMs)) },
  };
}

const clientsByRegion = new Map<string, AmiClients>();

/** One EBS client for the runner's region and one EC2 client per region, kept for the agent's life. */
export function amiClientsFor(region: string): AmiClients {
  let clients = clientsByRegion.get(region);
  if (!clients) {
    const ec2s = new Map<string, EC2Client>();
    clients = {
      region,
      ebs: new EBSClient({ region }),
      ec2(r: string) {
        if (!ec2s.has(r)) ec2s.set(r, new EC2Client({ region: r }));
        return ec2s.get(r)!;
      },
    };
    clientsByRegion.set(region, clients);
  }
  return clients;
}

/** The exported raw disk (an image type for `aws` exports one). */
export function rawDiskOf(files: readonly ExportedFile[]): ExportedFile {
  const raw = files.filter((f) => f.name.endsWith('.raw'));
  if (raw.length !== 1) throw new AmiError(`an aws upload needs exactly one exported .raw disk, osbuild exported ${files.map((f) => f.name).join(', ')}`, undefined, false);
  return raw[0];
}

export interface AmiStep {
  compose: Compose;
  files: readonly ExportedFile[];
  blobs: BlobStore;
  signal: AbortSignal;
  settings?: AmiSettings;
  onProgress?: (done: number, total: number) => void;
  note?: (line: string) => void;
}

export async function publishComposeAmi(step: AmiStep): Promise<PublishedAmis> {
  const { compose } = step;
  const target = compose.spec.upload;
  if (target?.type !== 'aws') throw new AmiError('the compose has no aws upload target', undefined, false);
  const settings = step.settings ?? amiSettingsFromEnv();
  const disk = rawDiskOf(step.files);
  const method = target.method ?? settings.defaultMethod;
  if (method === 'import-snapshot' && !settings.stagingBucket) throw new AmiError('import-snapshot needs IBS_BUCKET (the staging bucket)', undefined, false);
  return publishAmi({
    target,
    compose: { id: compose.id, orgId: compose.orgId, imageName: compose.imageName, ...compose.spec },
    image: { path: disk.path, size: disk.size },
    clients: amiClientsFor(settings.region),
    method,
    ...(settings.stagingBucket
      ? { staging: { blobs: step.blobs, bucket: settings.stagingBucket, key: `${artifactPrefix(compose.orgId, compose.id, compose.attempt)}ami-import/${disk.name}`, roleName: settings.importRole } }
      : {}),
    polling: { ...settings.polling, signal: step.signal },
    concurrency: settings.concurrency,
    onProgress: step.onProgress,
    note: step.note,
  });
}

/** A run that could not record its AMIs (cancelled or taken over meanwhile) removes them again. */
export async function removeComposeAmis(result: AwsUploadResult, settings: AmiSettings = amiSettingsFromEnv()): Promise<string[]> {
  return removeAmis(amiClientsFor(settings.region), result.images);
}
