/**
 * Cloud API v2 clones of an AMI compose (`POST /composes/{id}/clone`, `GET /clones/{id}`): CopyImage into the asked
 * region, then, once the copy is available, its snapshot tagged and both shared with the asked accounts. The API
 * function calls EC2 itself: CopyImage only starts the copy (it answers at once), and each status read asks
 * DescribeImages once, so no request waits for the copy and no job queue is needed. Tagging and sharing are
 * idempotent, so two status reads racing both doing them is harmless. The clone lives in `clones/<org>/<id>.json`.
 */
import { randomUUID } from 'node:crypto';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { AWS_REGIONS, checkAccounts } from '../../layers/src/upload/aws-upload-options.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { copyImage, shareImage, tagResources } from '../../runner-ami/src/ami/ec2-images.ts';
import { ComposerError, ComposerErrorCode as Code } from './composer-errors.ts';
import { objectReference } from './composer-present.ts';

export interface AmiClone {
  id: string;
  orgId: string;
  composeId: string;
  region: string;
  shareWithAccounts: string[];
  sourceAmi: string;
  sourceRegion: string;
  ami?: string;
  snapshotId?: string;
  state: 'pending' | 'success' | 'failure';
  reason?: string;
}

/** EC2 clients per region (the SDK's endpoint variables point them at the stand-ins in tests). */
export type Ec2ClientOf = (region: string) => EC2Client;
const clients = new Map<string, EC2Client>();
export const defaultEc2ClientOf: Ec2ClientOf = (region) => {
  if (!clients.has(region)) clients.set(region, new EC2Client({ region }));
  return clients.get(region)!;
};

const cloneKey = (orgId: string, id: string) => `clones/${orgId}/${id}.json`;

/** The body as AWSEC2CloneCompose (`region`, `share_with_accounts`), checked as the aws upload checks them. */
export function readCloneBody(body: unknown): { region: string; shareWithAccounts: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ComposerError(Code.BodyDecodingError, 'the body must be an AWSEC2CloneCompose object');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'region' && k !== 'share_with_accounts');
  if (extra.length) throw new ComposerError(Code.BodyDecodingError, `unknown field ${extra.join(', ')}`);
  if (typeof b.region !== 'string' || !AWS_REGIONS.has(b.region)) throw new ValidationError('region', `"${String(b.region)}" is not an AWS region`);
  const accounts = b.share_with_accounts ?? [];
  if (!Array.isArray(accounts) || accounts.some((a) => typeof a !== 'string')) throw new ValidationError('share_with_accounts', 'must be a list of account ids');
  checkAccounts(accounts as string[], 'share_with_accounts');
  return { region: b.region, shareWithAccounts: [...new Set(accounts as string[])] };
}

async function saveClone(deps: ServiceDeps, clone: AmiClone): Promise<void> {
  await deps.blobs.put(cloneKey(clone.orgId, clone.id), JSON.stringify(clone), { contentType: 'application/json' });
}

export async function readClone(deps: ServiceDeps, orgId: string, id: string): Promise<AmiClone> {
  const stream = await deps.blobs.get(cloneKey(orgId, id));
  if (!stream) throw new ComposerError(Code.ComposeNotFound, `no clone ${id}`);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as AmiClone;
}

/** Starts the copy of a successful AMI compose's primary image into `region`; the clone recorded as pending. */
export async function startClone(deps: ServiceDeps, compose: Compose, body: unknown, ec2Of: Ec2ClientOf = defaultEc2ClientOf): Promise<AmiClone> {
  const request = readCloneBody(body);
  if (compose.state !== 'success') throw new ComposerError(Code.ComposeBadState, `compose ${compose.id} is ${compose.state}, not a success`);
  const source = compose.uploadResult?.type === 'aws' ? compose.uploadResult.images[0] : undefined;
  if (!source) throw new ComposerError(Code.InvalidUploadTarget, 'only a compose uploaded as an AMI (aws) can be cloned');
  const id = randomUUID();
  const tags = { Name: `ibs-clone-${id}`, 'ibs:compose-id': compose.id, 'ibs:clone-id': id, 'ibs:organization': compose.orgId };
  const description = `clone ${id} of ${source.ami} (${source.region}), compose ${compose.id}`;
  let ami: string;
  try {
    ami = await copyImage(ec2Of(request.region), { sourceImageId: source.ami, sourceRegion: source.region, name: `ibs-clone-${id}`, description, tags });
  } catch (error) {
    throw new ComposerError(Code.EnqueueingJob, `CopyImage of ${source.ami} into ${request.region} failed: ${(error as Error).message}`, { cause: error });
  }
  const clone: AmiClone = { id, orgId: compose.orgId, composeId: compose.id, ...request, sourceAmi: source.ami, sourceRegion: source.region, ami, state: 'pending' };
  await saveClone(deps, clone);
  return clone;
}

/** One look at a pending clone: once the copy is available, tag its snapshot and share; a failed copy is the clone's failure. */
export async function refreshClone(deps: ServiceDeps, clone: AmiClone, ec2Of: Ec2ClientOf = defaultEc2ClientOf): Promise<AmiClone> {
  if (clone.state !== 'pending' || !clone.ami) return clone;
  const ec2 = ec2Of(clone.region);
  const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [clone.ami] }));
  const image = Images?.[0];
  let next: AmiClone;
  if (image?.State === 'failed' || image?.State === 'error') {
    next = { ...clone, state: 'failure', reason: image.StateReason?.Message ?? image.State };
  } else if (image?.State === 'available') {
    const snapshotId = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName)?.Ebs?.SnapshotId;
    if (!snapshotId) next = { ...clone, state: 'failure', reason: `image ${clone.ami} has no root snapshot` };
    else {
      await tagResources(ec2, [snapshotId], { 'ibs:compose-id': clone.composeId, 'ibs:clone-id': clone.id, 'ibs:organization': clone.orgId });
      await shareImage(ec2, clone.ami, snapshotId, clone.shareWithAccounts);
      next = { ...clone, snapshotId, state: 'success' };
    }
  } else return clone;
  await saveClone(deps, next);
  return next;
}

/** CloneStatus: ObjectReference + UploadStatus (`aws`, `{ami, region}`); UploadStatus has no error field. */
export function presentCloneStatus(clone: AmiClone) {
  const status = clone.state === 'pending' ? 'running' : clone.state;
  return {
    ...objectReference(`/clones/${clone.id}`, clone.id, 'CloneComposeStatus'),
    status,
    type: 'aws',
    options: { ami: clone.ami ?? '', region: clone.region },
  };
}
