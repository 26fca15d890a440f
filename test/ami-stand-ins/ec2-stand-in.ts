/**
 * EC2 stand-in (Query protocol, version 2016-11-15, XML answers) for the actions the AMI path uses: RegisterImage,
 * DescribeImages, DescribeSnapshots, ImportSnapshot, DescribeImportSnapshotTasks, CancelImportTask, CopyImage, ModifyImageAttribute,
 * ModifySnapshotAttribute, CreateTags, DeregisterImage, DeleteSnapshot. Every region is served on one port: the region
 * is the one the request was signed for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACCOUNT_ID, regionOfRequest, type AmiAccount, type StandInImage, type StandInSnapshot } from './ami-account.ts';

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Xml = string | number | boolean | undefined | Xml[] | { [key: string]: Xml };

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function renderXml(value: Xml): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => `<item>${renderXml(item)}</item>`).join('');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => (v === undefined ? '' : `<${k}>${renderXml(v)}</${k}>`)).join('');
  return escapeXml(String(value));
}

const tagSet = (tags: Record<string, string>): Xml => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** `Prefix.1.Key`-style query members back into a list of records (`Prefix.N.rest` → `{rest: value}`). */
export function membersOf(params: Record<string, string>, prefix: string): Record<string, string>[] {
  const members = new Map<number, Record<string, string>>();
  for (const [name, value] of Object.entries(params)) {
    const match = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(?:\\.(.+))?$`).exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    const member = members.get(index) ?? {};
    member[match[2] ?? ''] = value;
    members.set(index, member);
  }
  return [...members.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
}

/** Tags of `TagSpecification.N` for one resource type. */
function specifiedTags(params: Record<string, string>, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of membersOf(params, 'TagSpecification')) {
    if (spec.ResourceType !== resourceType) continue;
    for (let i = 1; spec[`Tag.${i}.Key`] !== undefined; i++) tags[spec[`Tag.${i}.Key`]] = spec[`Tag.${i}.Value`] ?? '';
  }
  return tags;
}

function liveSnapshot(account: AmiAccount, id: string | undefined, region: string): StandInSnapshot {
  const snapshot = id ? account.snapshots.get(id) : undefined;
  if (!snapshot || snapshot.deleted || snapshot.region !== region) throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return snapshot;
}

function liveImage(account: AmiAccount, id: string | undefined, region: string): StandInImage {
  const image = id ? account.images.get(id) : undefined;
  if (!image || image.state === 'deregistered' || image.region !== region) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  return image;
}

function checkUniqueName(account: AmiAccount, name: string | undefined, region: string): string {
  if (!name || !/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name)) throw new Ec2Error('InvalidAMIName.Malformed', `AMI names must be between 3 and 128 characters long ('${name}')`);
  const existing = account.liveImages().find((i) => i.region === region && i.name === name);
  if (existing) throw new Ec2Error('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${existing.id}`);
  return name;
}

const imageXml = (image: StandInImage, account: AmiAccount): Xml => {
  if (image.state === 'pending' && image.pendingPolls-- <= 0) image.state = 'available';
  const snapshot = account.snapshots.get(image.snapshotId);
  return {
    imageId: image.id,
    imageLocation: `${ACCOUNT_ID}/${image.name}`,
    imageState: image.state,
    imageOwnerId: ACCOUNT_ID,
    isPublic: false,
    architecture: image.params.Architecture ?? 'x86_64',
    imageType: 'machine',
    name: image.name,
    rootDeviceType: 'ebs',
    rootDeviceName: image.params.RootDeviceName,
    bootMode: image.params.BootMode,
    enaSupport: image.params.EnaSupport === 'true',
    sriovNetSupport: image.params.SriovNetSupport,
    virtualizationType: image.params.VirtualizationType ?? 'hvm',
    blockDeviceMapping: [{ deviceName: image.params.RootDeviceName, ebs: { snapshotId: image.snapshotId, volumeSize: snapshot?.volumeSize, volumeType: image.params['BlockDeviceMapping.1.Ebs.VolumeType'] ?? 'gp2', deleteOnTermination: true, encrypted: snapshot?.encrypted ?? false } }],
    tagSet: tagSet(image.tags),
  };
};

const snapshotXml = (snapshot: StandInSnapshot): Xml => {
  const status = snapshot.status === 'completed' && snapshot.pendingPolls-- > 0 ? 'pending' : snapshot.status;
  return {
    snapshotId: snapshot.id,
    volumeId: 'vol-ffffffff',
    status,
    progress: status === 'completed' ? '100%' : '50%',
    ownerId: ACCOUNT_ID,
    volumeSize: snapshot.volumeSize,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.kmsKeyArn,
    tagSet: tagSet(snapshot.tags),
  };
};

interface ImportTask {
  id: string;
  region: string;
  polls: number;
  bucket: string;
  key: string;
  snapshot?: StandInSnapshot;
  status: 'active' | 'completed' | 'deleted';
  message?: string;
  tags: Record<string, string>;
  encrypted: boolean;
}

const importTasks = new WeakMap<AmiAccount, Map<string, ImportTask>>();
const tasksOf = (account: AmiAccount): Map<string, ImportTask> => {
  if (!importTasks.has(account)) importTasks.set(account, new Map());
  return importTasks.get(account)!;
};

async function advanceImport(account: AmiAccount, task: ImportTask): Promise<void> {
  if (task.status !== 'active' || task.polls-- > 0) return;
  const data = await account.readImportObject?.(task.bucket, task.key);
  if (!data) {
    task.status = 'deleted';
    task.message = `ClientError: Unable to read the object s3://${task.bucket}/${task.key}`;
    return;
  }
  const snapshot = await account.createSnapshot({ region: task.region, volumeSize: Math.max(1, Math.ceil(data.length / 1024 ** 3)), status: 'completed', encrypted: task.encrypted, tags: task.tags, origin: 'import-snapshot', description: `import of ${task.key}` });
  await snapshot.file!.write(data, 0, data.length, 0);
  task.snapshot = snapshot;
  task.status = 'completed';
}

const taskXml = (task: ImportTask): Xml => ({
  importTaskId: task.id,
  snapshotTaskDetail: {
    status: task.status,
    statusMessage: task.message ?? (task.status === 'active' ? 'pending' : undefined),
    progress: task.status === 'active' ? '40' : undefined,
    snapshotId: task.snapshot?.id,
    diskImageSize: task.snapshot ? task.snapshot.volumeSize * 1024 ** 3 : undefined,
    format: 'RAW',
    userBucket: { s3Bucket: task.bucket, s3Key: task.key },
  },
  tagSet: tagSet(task.tags),
});

type Action = (account: AmiAccount, params: Record<string, string>, region: string) => Promise<Xml> | Xml;

const ACTIONS: Record<string, Action> = {
  RegisterImage(account, params, region) {
    const name = checkUniqueName(account, params.Name, region);
    const snapshot = liveSnapshot(account, params['BlockDeviceMapping.1.Ebs.SnapshotId'], region);
    if (snapshot.status !== 'completed') throw new Ec2Error('IncorrectState', `Snapshot ${snapshot.id} is ${snapshot.status}, not completed`);
    if (params.RootDeviceName !== params['BlockDeviceMapping.1.DeviceName']) throw new Ec2Error('InvalidBlockDeviceMapping', 'The root device name has no block device mapping');
    const image: StandInImage = { id: account.nextId('ami'), region, name, state: 'pending', pendingPolls: account.timing.imagePendingPolls, params, snapshotId: snapshot.id, launchPermissions: new Set(), tags: specifiedTags(params, 'image') };
    account.images.set(image.id, image);
    return { imageId: image.id };
  },
  DescribeImages(account, params, region) {
    const ids = membersOf(params, 'ImageId').map((m) => m['']);
    const images = [...account.images.values()].filter((i) => i.region === region && i.state !== 'deregistered' && (ids.length === 0 || ids.includes(i.id)));
    if (ids.length > 0 && images.length < ids.length) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
    return { imagesSet: images.map((i) => imageXml(i, account)) };
  },
  DescribeSnapshots(account, params, region) {
    const ids = membersOf(params, 'SnapshotId').map((m) => m['']);
    const found = ids.map((id) => liveSnapshot(account, id, region));
    return { snapshotSet: found.map(snapshotXml) };
  },
  ImportSnapshot(account, params, region) {
    if (params['DiskContainer.Format']?.toUpperCase() !== 'RAW') throw new Ec2Error('InvalidParameter', 'This stand-in imports RAW disks only');
    const task: ImportTask = { id: account.nextId('import-snap'), region, polls: account.timing.importPolls, bucket: params['DiskContainer.UserBucket.S3Bucket'], key: params['DiskContainer.UserBucket.S3Key'], status: 'active', tags: specifiedTags(params, 'import-snapshot-task'), encrypted: params.Encrypted === 'true' };
    tasksOf(account).set(task.id, task);
    return { importTaskId: task.id, snapshotTaskDetail: taskXml(task) };
  },
  async DescribeImportSnapshotTasks(account, params) {
    const ids = membersOf(params, 'ImportTaskId').map((m) => m['']);
    const tasks = ids.map((id) => tasksOf(account).get(id) ?? (() => { throw new Ec2Error('InvalidConversionTaskId.Malformed', `No import task ${id}`); })());
    for (const task of tasks) await advanceImport(account, task);
    return { importSnapshotTaskSet: tasks.map(taskXml) };
  },
  CancelImportTask(account, params) {
    const task = tasksOf(account).get(params.ImportTaskId);
    if (!task || task.status !== 'active') throw new Ec2Error('IncorrectState', `The import task ${params.ImportTaskId} is not active`);
    task.status = 'deleted';
    task.message = `Cancelled: ${params.CancelReason ?? ''}`;
    return { importTaskId: task.id, previousState: 'active', state: 'deleting' };
  },
  async CopyImage(account, params, region) {
    const source = liveImage(account, params.SourceImageId, params.SourceRegion);
    if (source.state !== 'available') throw new Ec2Error('IncorrectState', `Image ${source.id} is ${source.state}`);
    const name = checkUniqueName(account, params.Name, region);
    const from = account.snapshots.get(source.snapshotId)!;
    const copy = await account.createSnapshot({ region, volumeSize: from.volumeSize, status: 'completed', encrypted: params.Encrypted === 'true' || from.encrypted, kmsKeyArn: params.KmsKeyId, tags: {}, origin: 'copy', description: `Copied for DestinationAmi from ${source.id}` });
    const image: StandInImage = { id: account.nextId('ami'), region, name, state: 'pending', pendingPolls: account.timing.imagePendingPolls, params: { ...source.params, Name: name }, snapshotId: copy.id, launchPermissions: new Set(), tags: specifiedTags(params, 'image') };
    account.images.set(image.id, image);
    return { imageId: image.id };
  },
  ModifyImageAttribute(account, params, region) {
    const image = liveImage(account, params.ImageId, region);
    for (const m of membersOf(params, 'LaunchPermission.Add')) if (m.UserId) image.launchPermissions.add(m.UserId);
    return { return: true };
  },
  ModifySnapshotAttribute(account, params, region) {
    const snapshot = liveSnapshot(account, params.SnapshotId, region);
    if (params.Attribute !== 'createVolumePermission') throw new Ec2Error('InvalidParameterValue', `Attribute ${params.Attribute} is not supported`);
    for (const m of membersOf(params, 'CreateVolumePermission.Add')) if (m.UserId) snapshot.createVolumePermissions.add(m.UserId);
    return { return: true };
  },
  CreateTags(account, params, region) {
    const tags = Object.fromEntries(membersOf(params, 'Tag').map((t) => [t.Key, t.Value ?? '']));
    for (const { '': id } of membersOf(params, 'ResourceId')) {
      const target = id.startsWith('ami-') ? liveImage(account, id, region) : liveSnapshot(account, id, region);
      Object.assign(target.tags, tags);
    }
    return { return: true };
  },
  DeregisterImage(account, params, region) {
    liveImage(account, params.ImageId, region).state = 'deregistered';
    return { return: true };
  },
  DeleteSnapshot(account, params, region) {
    const snapshot = liveSnapshot(account, params.SnapshotId, region);
    const user = account.liveImages().find((i) => i.snapshotId === snapshot.id);
    if (user) throw new Ec2Error('InvalidSnapshot.InUse', `The snapshot ${snapshot.id} is currently in use by ${user.id}`);
    snapshot.deleted = true;
    return { return: true };
  },
};

/** Handles one EC2 Query request: form-encoded `Action=...&Version=2016-11-15&...`, XML back. */
export async function handleEc2Request(account: AmiAccount, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
  const region = regionOfRequest(req.headers.authorization);
  const action = params.Action ?? 'Unknown';
  account.record({ service: 'ec2', action, region, params });
  const requestId = `req-${account.calls.length}`;
  try {
    const fault = account.takeFault(action);
    if (fault) throw new Ec2Error(fault.code, fault.message, fault.status);
    const handler = ACTIONS[action];
    if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    const body = await handler(account, params, region);
    res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${renderXml(body)}</${action}Response>`);
  } catch (error) {
    if (!(error instanceof Ec2Error)) throw error;
    res.writeHead(error.status, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`);
  }
}
