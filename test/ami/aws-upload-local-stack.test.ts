import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { startAmiStandIns, type AmiStandIns } from '../ami-stand-ins/start-ami-stand-ins.ts';
import { DOUBLE, FAST_ENV } from '../runner/helpers.ts';

// Each case builds and uploads through a runner (its polls wait up to 60 s): more than the default 30 s on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

let standIns: AmiStandIns;
let stack: LocalStack;
let api: string;
let dataDir: string;

beforeAll(async () => {
  standIns = await startAmiStandIns();
  dataDir = mkdtempSync(join(tmpdir(), 'ibs-ami-e2e-'));
  stack = await startLocalStack({
    dataDir,
    port: 0,
    runners: 1,
    log: createLogger({}, { write: () => {} }),
    runnerEnv: {
      ...FAST_ENV,
      IBS_OSBUILD: DOUBLE,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_MAX_ATTEMPTS: '1',
      IBS_AMI_POLL_MS: '100',
      IBS_AMI_STAGING_BUCKET: 'local-artifacts',
      ...standIns.env,
    },
  });
  api = `${stack.url}/api/image-builder/v1`;
  // ImportSnapshot reads the staged disk from the stack's blob store (the bucket of the local stack).
  standIns.account.readImportObject = async (bucket, key) => {
    const stream = bucket === 'local-artifacts' ? await stack.deps.blobs.get(key) : undefined;
    return stream ? buffer(stream) : undefined;
  };
});
afterAll(async () => {
  await stack?.stop();
  await standIns?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  standIns.account.faults.length = 0;
  Object.assign(standIns.account.timing, { snapshotPendingPolls: 0, imagePendingPolls: 0, importPolls: 2 });
});

const awsCompose = (options: Record<string, unknown>, image_name?: string) => ({
  distribution: 'test-distro-1',
  ...(image_name ? { image_name } : {}),
  image_requests: [{ architecture: 'x86_64', image_type: 'aws', upload_request: { type: 'aws', options } }],
});

async function finished(id: string): Promise<Record<string, any>> {
  let last: Record<string, any> = {};
  await expect.poll(async () => (last = await status(id)).state, { timeout: 60_000, interval: 100 }).toMatch(/success|failure|cancelled/);
  return last;
}

const live = () => ({ images: standIns.account.liveImages().length, snapshots: standIns.account.liveSnapshots().length });

const headers = async (org = 'org-ami') => ({ 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken(org)}` });

async function status(id: string): Promise<Record<string, any>> {
  return (await (await fetch(`${api}/composes/${id}`, { headers: await headers() })).json()) as Record<string, any>;
}

async function post(body: unknown): Promise<Response> {
  return fetch(`${api}/compose`, { method: 'POST', headers: await headers(), body: JSON.stringify(body) });
}

describe('an aws compose in the local stack, against the EBS direct and EC2 stand-ins', () => {
  it('the hosted request body goes from compose to a shared AMI in each region, with `registering` on the way', async () => {
    // The AMI stays pending until the test has seen `registering`: a window of a few 100 ms polls could pass between
    // two status reads on a loaded machine. Then 3 more pending polls, in each region.
    standIns.account.timing.imagePendingPolls = 1_000_000;
    const created = await post({
      distribution: 'test-distro-1',
      image_name: 'e2e image',
      image_requests: [{ architecture: 'x86_64', image_type: 'aws', upload_request: { type: 'aws', options: { share_with_accounts: ['123456789012', '000011112222'], regions: ['us-east-1'] } } }],
      customizations: { hostname: 'ami-e2e' },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const seen = new Set<string>();
    let last: Record<string, any> = {};
    const watch = async () => {
      last = await status(id);
      seen.add(last.image_status.status);
      return last.image_status.status as string;
    };
    await expect.poll(watch, { timeout: 60_000, interval: 100 }).toMatch(/registering|success|failure/);
    standIns.account.timing.imagePendingPolls = 3;
    for (const image of standIns.account.images.values()) if (image.state === 'pending') image.pendingPolls = 3;
    await expect.poll(async () => (await watch(), last.state), { timeout: 60_000, interval: 100 }).toMatch(/success|failure|cancelled/);
    expect(last.state, JSON.stringify(last.image_status)).toBe('success');
    expect(seen).toContain('registering');
    const upload = last.image_status.upload_status;
    expect(upload).toMatchObject({ status: 'success', type: 'aws', snapshot_method: 'ebs-direct', options: { region: 'eu-west-1' } });
    expect(Object.keys(upload.options).sort()).toEqual(['ami', 'region']);
    expect(upload.images.map((i: { region: string }) => i.region)).toEqual(['eu-west-1', 'us-east-1']);
    for (const { ami, region } of upload.images as { ami: string; region: string }[]) {
      const image = standIns.account.images.get(ami)!;
      expect(image).toMatchObject({ region, state: 'available' });
      expect(image.name).toBe(`e2e image-${id}`);
      expect([...image.launchPermissions].sort()).toEqual(['000011112222', '123456789012']);
      expect(image.tags).toMatchObject({ 'ibs:compose-id': id, 'ibs:organization': 'org-ami', 'ibs:image-type': 'aws', 'ibs:distribution': 'test-distro-1' });
    }
    // The snapshot holds the disk osbuild built: its MBR is there, block for block.
    const snapshot = standIns.account.snapshots.get(standIns.account.images.get(upload.options.ami)!.snapshotId)!;
    expect(snapshot.origin).toBe('ebs-direct');
    expect(snapshot.blocks.has(0)).toBe(true);
    expect(last.artifacts).toEqual([]);
    expect(last.request.image_requests[0].upload_request.options.share_with_accounts).toEqual(['123456789012', '000011112222']);
  });

  it('a duplicate AMI name fails the compose with EC2\'s message and leaves no snapshot behind', async () => {
    const first = (await (await post(awsCompose({ ami_name: 'the one name' }))).json()) as { id: string };
    expect((await finished(first.id)).state).toBe('success');
    const before = live();
    const second = (await (await post(awsCompose({ ami_name: 'the one name' }))).json()) as { id: string };
    const failed = await finished(second.id);
    expect(failed.state).toBe('failure');
    expect(failed.image_status.error.reason).toMatch(/RegisterImage failed: InvalidAMIName.Duplicate: AMI name the one name is already in use/);
    expect(live()).toEqual(before);
  });

  it('cancel while registering removes the image and snapshot it made', async () => {
    const before = live();
    standIns.account.timing.imagePendingPolls = 1000;
    const { id } = (await (await post(awsCompose({}))).json()) as { id: string };
    await expect.poll(async () => (await status(id)).image_status.status, { timeout: 60_000, interval: 100 }).toBe('registering');
    await expect.poll(() => standIns.account.liveImages().length, { timeout: 30_000, interval: 50 }).toBe(before.images + 1);
    const cancel = await fetch(`${api}/composes/${id}/cancel`, { method: 'POST', headers: await headers() });
    expect(cancel.status).toBe(200);
    await expect.poll(live, { timeout: 30_000, interval: 100 }).toEqual(before);
    expect((await status(id)).state).toBe('cancelled');
  });

  it('snapshot_method import-snapshot stages the disk, polls the import, registers the AMI and says which path it took', async () => {
    standIns.account.timing.importPolls = 3;
    const { id } = (await (await post(awsCompose({ snapshot_method: 'import-snapshot' }))).json()) as { id: string };
    const done = await finished(id);
    expect(done.state, JSON.stringify(done.image_status)).toBe('success');
    expect(done.image_status.upload_status).toMatchObject({ type: 'aws', snapshot_method: 'import-snapshot' });
    const image = standIns.account.images.get(done.image_status.upload_status.options.ami)!;
    expect(standIns.account.snapshots.get(image.snapshotId)!.origin).toBe('import-snapshot');
    // The staged object is gone.
    expect((await stack.deps.blobs.list(`artifacts/`)).filter((b) => b.key.includes(id) && b.key.includes('ami-import'))).toEqual([]);
  });

  it('rejects bad aws options at request time with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ share_with_accounts: ['12345'] }, /share_with_accounts\[0\].*12 digits/],
      [{ regions: ['eu-nowhere-1'] }, /regions\[0\].*not an AWS region/],
      [{ ami_name: 'x' }, /ami_name/],
      [{ boot_mode: 'bios' }, /boot_mode/],
      [{ share_with_sources: ['42'] }, /share_with_sources\[0\].*unknown source/],
      [{ surprise: true }, /options: unknown field .{0,2}surprise/],
    ];
    for (const [options, message] of cases) {
      const answer = await post({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'aws', upload_request: { type: 'aws', options } }] });
      expect(answer.status, JSON.stringify(options)).toBe(400);
      const text = JSON.stringify(await answer.json());
      expect(text, text).toMatch(message);
    }
    const tar = await post({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws', options: {} } }] });
    expect(tar.status).toBe(400);
    expect(JSON.stringify(await tar.json())).toMatch(/image_type.*raw disk/);
  });
});
