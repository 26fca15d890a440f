/**
 * Issue 16: `POST /composes/{id}/clone` and `GET /clones/{id}` through the local stack against the EBS/EC2 stand-ins:
 * an AMI compose copied into another region and shared; refusals as composer's errors; every answer checked against
 * the v2 spec (CloneComposeResponse, CloneStatus).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { startAmiStandIns, type AmiStandIns } from '../ami-stand-ins/start-ami-stand-ins.ts';
import { DOUBLE, FAST_ENV } from '../runner/helpers.ts';
import { COMPOSER_SPEC_PATH, createComposerChecker, loadComposerSpec } from './composer-conformance.ts';

const spec = loadComposerSpec();
const AWS_ENV = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_MAX_ATTEMPTS: '1' };
let standIns: AmiStandIns;
let stack: LocalStack;
let base: string;
let dataDir: string;
const saved: Record<string, string | undefined> = {};
const problems: string[] = [];

async function call(method: string, path: string, body?: unknown, org = 'org-clone'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${await stack.mintToken(org)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await res.json();
  const checked = createComposerChecker(spec!).check({ method, path, status: res.status, contentType: res.headers.get('content-type'), body: parsed });
  problems.push(...checked.problems.map((p) => `${method} ${path}: ${p}`));
  return { status: res.status, body: parsed };
}

async function until(path: string, done: (body: any) => boolean): Promise<any> {
  let last: any;
  await expect.poll(async () => done((last = (await call('GET', path)).body)), { timeout: 60_000, interval: 100 }).toBe(true);
  return last;
}

describe.skipIf(!spec)(`AMI clones${spec ? '' : ` (skipped: ${COMPOSER_SPEC_PATH} not found)`}`, () => {
  beforeAll(async () => {
    standIns = await startAmiStandIns();
    // The API runs in this process: its EC2 clients (clones) read the same endpoint variables as the runner's.
    for (const [k, v] of Object.entries({ ...AWS_ENV, ...standIns.env })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-clone-'));
    stack = await startLocalStack({
      dataDir,
      port: 0,
      runners: 1,
      log: createLogger({}, { write: () => {} }),
      runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE, ...AWS_ENV, IBS_AMI_POLL_MS: '100', ...standIns.env },
    });
    base = `${stack.url}/api/image-builder-composer/v2`;
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await standIns?.stop();
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies an AMI compose into another region, shares image and snapshot, and reports it as CloneStatus', async () => {
    const created = await call('POST', '/compose', {
      distribution: 'test-distro-1',
      image_request: { architecture: 'x86_64', image_type: 'aws', repositories: [], upload_targets: [{ type: 'aws', upload_options: { region: 'eu-west-1', share_with_accounts: ['123456789012'] } }] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await until(`/composes/${created.body.id}`, (b) => b.status !== 'pending');
    expect(done.status, JSON.stringify(done.image_status)).toBe('success');
    const source = done.image_status.upload_status.options.ami;

    standIns.account.timing.imagePendingPolls = 2;
    const cloned = await call('POST', `/composes/${created.body.id}/clone`, { region: 'us-east-2', share_with_accounts: ['000011112222'] });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(201);
    expect(cloned.body).toMatchObject({ kind: 'CloneComposeId', href: `/api/image-builder-composer/v2/clones/${cloned.body.id}` });
    const first = (await call('GET', `/clones/${cloned.body.id}`)).body;
    expect(first).toMatchObject({ status: 'running', type: 'aws', options: { region: 'us-east-2' } });
    const status = await until(`/clones/${cloned.body.id}`, (b) => b.status !== 'running');
    expect(status).toMatchObject({ status: 'success', type: 'aws', kind: 'CloneComposeStatus', options: { region: 'us-east-2' } });
    const copy = standIns.account.images.get(status.options.ami)!;
    expect(copy).toMatchObject({ region: 'us-east-2', state: 'available' });
    expect(copy.id).not.toBe(source);
    expect([...copy.launchPermissions]).toEqual(['000011112222']);
    expect(copy.tags).toMatchObject({ 'ibs:compose-id': created.body.id, 'ibs:clone-id': cloned.body.id });
    const snapshot = standIns.account.snapshots.get(copy.snapshotId)!;
    expect([...snapshot.createVolumePermissions]).toEqual(['000011112222']);
    expect(standIns.account.calls.filter((c) => c.action === 'CopyImage' && c.region === 'us-east-2')).toHaveLength(1);

    // Refusals: a region or account the aws upload would refuse (30), an unknown field (20), another org's compose (15).
    expect((await call('POST', `/composes/${created.body.id}/clone`, { region: 'mars-1' })).body.id).toBe('30');
    expect((await call('POST', `/composes/${created.body.id}/clone`, { region: 'us-east-2', share_with_accounts: ['12'] })).body.id).toBe('30');
    expect((await call('POST', `/composes/${created.body.id}/clone`, { region: 'us-east-2', regions: [] })).body.id).toBe('20');
    expect((await call('POST', `/composes/${created.body.id}/clone`, { region: 'us-east-2' }, 'org-other')).status).toBe(404);
    expect((await call('GET', `/clones/${cloned.body.id}`, undefined, 'org-other')).status).toBe(404);
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses to clone a compose that is not an AMI (38)', async () => {
    const created = await call('POST', '/compose', {
      distribution: 'test-distro-1',
      image_request: { architecture: 'x86_64', image_type: 'tar', repositories: [], upload_targets: [{ type: 'aws.s3', upload_options: { region: 'us-east-1' } }] },
    });
    await until(`/composes/${created.body.id}`, (b) => b.status !== 'pending');
    const refused = await call('POST', `/composes/${created.body.id}/clone`, { region: 'us-east-2' });
    expect([refused.status, refused.body.id]).toEqual([400, '38']);
    expect(problems).toEqual([]);
  }, 120_000);
});
