/**
 * EBS direct APIs stand-in (REST-JSON, api version 2019-11-02): StartSnapshot, PutSnapshotBlock, CompleteSnapshot,
 * with AWS's rules — 512 KiB blocks, base64 SHA-256 per block, indexes inside the volume, writes only while pending,
 * CompleteSnapshot's changed-block count and LINEAR aggregate (SHA-256 of the written blocks' digests in index order).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EBS_BLOCK_SIZE, ACCOUNT_ID, regionOfRequest, type AmiAccount, type StandInSnapshot } from './ami-account.ts';

class EbsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** LINEAR aggregation as AWS documents it: the written blocks' raw SHA-256 digests in ascending index order, hashed. */
export function linearChecksum(blocks: ReadonlyMap<number, string>): string {
  const hash = createHash('sha256');
  for (const index of [...blocks.keys()].sort((a, b) => a - b)) hash.update(Buffer.from(blocks.get(index)!, 'base64'));
  return hash.digest('base64');
}

function snapshotOf(account: AmiAccount, id: string): StandInSnapshot {
  const snapshot = account.snapshots.get(id);
  if (!snapshot || snapshot.deleted || snapshot.origin !== 'ebs-direct') {
    throw new EbsError(404, 'ResourceNotFoundException', `The snapshot '${id}' does not exist.`, 'SNAPSHOT_NOT_FOUND');
  }
  return snapshot;
}

async function startSnapshot(account: AmiAccount, region: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const size = body.VolumeSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 65536) {
    throw new EbsError(400, 'ValidationException', 'VolumeSize must be 1 to 65536 GiB', 'INVALID_VOLUME_SIZE');
  }
  const tags = Object.fromEntries(((body.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]));
  const snapshot = await account.createSnapshot({
    region,
    volumeSize: size,
    status: 'pending',
    description: body.Description as string | undefined,
    encrypted: body.Encrypted === true,
    kmsKeyArn: body.KmsKeyArn as string | undefined,
    tags,
    origin: 'ebs-direct',
  });
  return {
    SnapshotId: snapshot.id,
    OwnerId: ACCOUNT_ID,
    Status: 'pending',
    StartTime: Date.now() / 1000,
    VolumeSize: size,
    BlockSize: EBS_BLOCK_SIZE,
    Tags: body.Tags ?? [],
    ...(snapshot.kmsKeyArn ? { KmsKeyArn: snapshot.kmsKeyArn } : {}),
    ...(snapshot.description ? { Description: snapshot.description } : {}),
  };
}

async function putBlock(account: AmiAccount, req: IncomingMessage, id: string, indexText: string): Promise<Record<string, string>> {
  const data = await readBody(req);
  const snapshot = snapshotOf(account, id);
  if (snapshot.status !== 'pending') throw new EbsError(400, 'ValidationException', `The snapshot ${id} is ${snapshot.status}: no more writes`, 'INVALID_SNAPSHOT_STATE');
  const index = Number(indexText);
  const maxIndex = (snapshot.volumeSize * 1024 ** 3) / EBS_BLOCK_SIZE;
  if (!Number.isInteger(index) || index < 0 || index >= maxIndex) {
    throw new EbsError(400, 'ValidationException', `Block index ${indexText} is outside the volume (0..${maxIndex - 1})`, 'INVALID_BLOCK');
  }
  const length = Number(header(req, 'x-amz-Data-Length'));
  if (length !== EBS_BLOCK_SIZE || data.length !== EBS_BLOCK_SIZE) {
    throw new EbsError(400, 'ValidationException', `Data length must be ${EBS_BLOCK_SIZE} bytes (header ${length}, body ${data.length})`, 'INVALID_BLOCK');
  }
  if (header(req, 'x-amz-Checksum-Algorithm') !== 'SHA256') {
    throw new EbsError(400, 'ValidationException', 'The checksum algorithm must be SHA256', 'INVALID_PARAMETER_VALUE');
  }
  const checksum = createHash('sha256').update(data).digest('base64');
  if (header(req, 'x-amz-Checksum') !== checksum) {
    throw new EbsError(400, 'ValidationException', 'The checksum value provided does not match the computed checksum of the data', 'INVALID_CHECKSUM');
  }
  await snapshot.file!.write(data, 0, data.length, index * EBS_BLOCK_SIZE);
  snapshot.blocks.set(index, checksum);
  return { 'x-amz-Checksum': checksum, 'x-amz-Checksum-Algorithm': 'SHA256' };
}

function completeSnapshot(account: AmiAccount, req: IncomingMessage, id: string): Record<string, unknown> {
  const snapshot = snapshotOf(account, id);
  if (snapshot.status !== 'pending') throw new EbsError(400, 'ValidationException', `The snapshot ${id} is already ${snapshot.status}`, 'INVALID_SNAPSHOT_STATE');
  const count = Number(header(req, 'x-amz-ChangedBlocksCount'));
  if (count !== snapshot.blocks.size) {
    snapshot.status = 'error';
    throw new EbsError(400, 'ValidationException', `ChangedBlocksCount ${count} does not match the ${snapshot.blocks.size} blocks written`, 'INVALID_PARAMETER_VALUE');
  }
  const checksum = header(req, 'x-amz-Checksum');
  if (checksum !== undefined) {
    if (header(req, 'x-amz-Checksum-Aggregation-Method') !== 'LINEAR' || header(req, 'x-amz-Checksum-Algorithm') !== 'SHA256') {
      throw new EbsError(400, 'ValidationException', 'The aggregation method must be LINEAR with SHA256', 'INVALID_PARAMETER_VALUE');
    }
    if (checksum !== linearChecksum(snapshot.blocks)) {
      snapshot.status = 'error';
      throw new EbsError(400, 'ValidationException', 'The aggregated checksum does not match the blocks written', 'INVALID_CHECKSUM');
    }
  }
  snapshot.status = 'completed';
  return { Status: snapshot.pendingPolls > 0 ? 'pending' : 'completed' };
}

/** Handles one EBS direct request (routes of the EBS API model). */
export async function handleEbsRequest(account: AmiAccount, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const region = regionOfRequest(header(req, 'authorization'));
  const put = /^\/snapshots\/([^/]+)\/blocks\/([^/]+)$/.exec(url.pathname);
  const complete = /^\/snapshots\/completion\/([^/]+)$/.exec(url.pathname);
  const action = req.method === 'POST' && url.pathname === '/snapshots' ? 'StartSnapshot' : put && req.method === 'PUT' ? 'PutSnapshotBlock' : complete && req.method === 'POST' ? 'CompleteSnapshot' : 'Unknown';
  const params: Record<string, string> = put ? { SnapshotId: put[1], BlockIndex: put[2] } : complete ? { SnapshotId: complete[1], ChangedBlocksCount: header(req, 'x-amz-ChangedBlocksCount') ?? '' } : {};
  account.record({ service: 'ebs', action, region, params });
  try {
    const fault = account.takeFault(action);
    if (fault) {
      await readBody(req);
      throw new EbsError(fault.status, fault.code, fault.message);
    }
    if (action === 'StartSnapshot') return sendJson(res, 201, await startSnapshot(account, region, JSON.parse((await readBody(req)).toString() || '{}')));
    if (action === 'PutSnapshotBlock') return sendJson(res, 201, {}, await putBlock(account, req, put![1], put![2]));
    if (action === 'CompleteSnapshot') {
      await readBody(req);
      return sendJson(res, 202, completeSnapshot(account, req, complete![1]));
    }
    throw new EbsError(404, 'UnknownOperationException', `${req.method} ${url.pathname} is not an EBS direct API`);
  } catch (error) {
    if (!(error instanceof EbsError)) throw error;
    sendJson(res, error.status, { message: error.message, ...(error.reason ? { Reason: error.reason } : {}) }, { 'x-amzn-ErrorType': error.code });
  }
}
