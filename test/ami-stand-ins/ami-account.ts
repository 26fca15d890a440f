/**
 * The state of one fake AWS account shared by the EBS direct and EC2 stand-ins: snapshots (their blocks in sparse
 * files, so a 10 GiB snapshot costs no memory), images per region, shares, every call, and injected faults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EBS_BLOCK_SIZE = 512 * 1024;
export const ACCOUNT_ID = '111122223333';

export interface StandInSnapshot {
  id: string;
  region: string;
  /** GiB. */
  volumeSize: number;
  status: 'pending' | 'completed' | 'error';
  /** DescribeSnapshots answers `pending` this many more times after completion (a slow snapshot). */
  pendingPolls: number;
  description?: string;
  encrypted: boolean;
  kmsKeyArn?: string;
  tags: Record<string, string>;
  /** Block index → base64 SHA-256 of the block written there (EBS direct only). */
  blocks: Map<number, string>;
  /** The snapshot's data, sparse, `volumeSize` GiB. */
  path: string;
  file?: FileHandle;
  createVolumePermissions: Set<string>;
  deleted: boolean;
  origin: 'ebs-direct' | 'import-snapshot' | 'copy';
}

export interface StandInImage {
  id: string;
  region: string;
  name: string;
  state: 'pending' | 'available' | 'failed' | 'deregistered';
  pendingPolls: number;
  params: Record<string, string>;
  snapshotId: string;
  launchPermissions: Set<string>;
  tags: Record<string, string>;
}

export interface StandInCall {
  service: 'ebs' | 'ec2';
  action: string;
  region: string;
  params: Record<string, string>;
}

/** A fault: the next matching call answers this EC2/EBS error instead. */
export interface InjectedFault {
  action: string;
  status: number;
  code: string;
  message: string;
  /** Calls to let through first. */
  after?: number;
}

export class AmiAccount {
  readonly dir = mkdtempSync(join(tmpdir(), 'ami-stand-in-'));
  readonly snapshots = new Map<string, StandInSnapshot>();
  readonly images = new Map<string, StandInImage>();
  readonly calls: StandInCall[] = [];
  readonly faults: InjectedFault[] = [];
  /** Knobs of the slow paths: polls before a snapshot, an image or an import task is done. */
  readonly timing = { snapshotPendingPolls: 0, imagePendingPolls: 0, importPolls: 2 };
  /** How ImportSnapshot reads its S3 object (tests point it at their S3 stand-in or blob store). */
  readImportObject?: (bucket: string, key: string) => Promise<Buffer | undefined>;
  private counter = 0;

  nextId(prefix: string): string {
    this.counter++;
    return `${prefix}-${this.counter.toString(16).padStart(17, '0')}`;
  }

  record(call: StandInCall): void {
    this.calls.push(call);
  }

  callsOf(action: string): StandInCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  /** The fault to answer for this call, if one was injected for its action. */
  takeFault(action: string): InjectedFault | undefined {
    const index = this.faults.findIndex((f) => f.action === action);
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.after && fault.after > 0) {
      fault.after--;
      return undefined;
    }
    this.faults.splice(index, 1);
    return fault;
  }

  async createSnapshot(fields: Omit<StandInSnapshot, 'id' | 'path' | 'blocks' | 'createVolumePermissions' | 'deleted' | 'pendingPolls'>): Promise<StandInSnapshot> {
    const id = this.nextId('snap');
    const path = join(this.dir, `${id}.img`);
    const file = await open(path, 'w+');
    await file.truncate(fields.volumeSize * 1024 ** 3);
    const snapshot: StandInSnapshot = {
      ...fields,
      id,
      path,
      file,
      blocks: new Map(),
      createVolumePermissions: new Set(),
      deleted: false,
      pendingPolls: this.timing.snapshotPendingPolls,
    };
    this.snapshots.set(id, snapshot);
    return snapshot;
  }

  liveSnapshots(): StandInSnapshot[] {
    return [...this.snapshots.values()].filter((s) => !s.deleted);
  }

  liveImages(): StandInImage[] {
    return [...this.images.values()].filter((i) => i.state !== 'deregistered');
  }

  async close(): Promise<void> {
    for (const snapshot of this.snapshots.values()) await snapshot.file?.close().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The region a SigV4-signed request was signed for (the stand-ins serve every region on one port). */
export function regionOfRequest(authorization: string | undefined, fallback = 'us-east-1'): string {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? '');
  return match?.[1] ?? fallback;
}
