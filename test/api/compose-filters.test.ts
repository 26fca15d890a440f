import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createStubDepsolver } from '../fuzz/hostile-requests.ts';
import { tokenHeaders } from '../support/auth.ts';

let stack: LocalStack;
let api: string;
let as: ReturnType<typeof tokenHeaders>;
const ORG = 'org-filters';
const ids: Record<string, string> = {};
let blueprintId: string;

const call = async (method: string, path: string, body?: unknown, org = ORG) => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(await as(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

const image = (distribution: string, image_type: string) => ({ distribution, image_requests: [{ architecture: 'x86_64', image_type }] });

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-filters-')), port: 0, runners: 0, depsolver: createStubDepsolver(), log: createLogger({}, { write: () => {} }) });
  api = `${stack.url}/api/image-builder/v1`;
  as = tokenHeaders(stack);
  // Requested by name and by alias: `ami` is the aws image type, `qcow2` the guest image.
  for (const [key, request] of [['tar', image('test-distro-1', 'tar')], ['ami', image('fedora-43', 'ami')], ['qcow2', image('fedora-43', 'qcow2')], ['aws', image('fedora-43', 'aws')]] as const) {
    const res = await call('POST', '/compose', request);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids[key] = res.body.id;
  }
  const bp = await call('POST', '/blueprints', {
    name: 'filtered',
    distribution: 'fedora-43',
    image_requests: [
      { architecture: 'x86_64', image_type: 'guest-image', upload_request: { type: 'aws.s3', options: {} } },
      { architecture: 'x86_64', image_type: 'vsphere', upload_request: { type: 'aws.s3', options: {} } },
    ],
    customizations: {},
  });
  blueprintId = bp.body.id;
  const composed = await call('POST', `/blueprints/${blueprintId}/compose`, {});
  expect(composed.status, JSON.stringify(composed.body)).toBe(201);
  // Manifest generation moves each compose from pending to queued in the background; the state filters below read
  // the list twice, so let every compose settle first (no runners here: queued is as far as they go).
  for (let tries = 0; ; tries++) {
    const states = (await call('GET', '/composes')).body.data.map((c: { status: string }) => c.status);
    if (states.every((s: string) => s === 'queued')) break;
    if (tries > 600) throw new Error(`composes did not settle to queued: ${states.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
afterAll(() => stack.stop());

const idsOf = (body: { data: { id: string }[] }) => body.data.map((c) => c.id);

describe('ignoreImageTypes on GET /composes', () => {
  it('leaves out composes of the named image types, by requested name or resolved type; meta.count and links follow', async () => {
    const all = await call('GET', '/composes');
    expect(all.body.meta.count).toBe(6);
    const noTar = await call('GET', '/composes?ignoreImageTypes=tar');
    expect(noTar.body.meta.count).toBe(5);
    expect(idsOf(noTar.body)).not.toContain(ids.tar);
    expect(noTar.body.links.first).toBe('/api/image-builder/v1/composes?offset=0&limit=100&ignoreImageTypes=tar');
    // A name matches what a compose requested (as image-builder-crc compares it) or what it resolved to: `ami` leaves
    // out the compose requested as ami only, `aws` both the one requested as aws and the ami one (resolved to aws).
    const noAmi = idsOf((await call('GET', '/composes?ignoreImageTypes=ami')).body);
    expect(noAmi).not.toContain(ids.ami);
    expect(noAmi).toEqual(expect.arrayContaining([ids.aws, ids.qcow2]));
    const noAws = idsOf((await call('GET', '/composes?ignoreImageTypes=aws')).body);
    expect(noAws).not.toContain(ids.ami);
    expect(noAws).not.toContain(ids.aws);
    expect(noAws).toContain(ids.qcow2);
  });

  it('repeated or comma-separated, with paging over the filtered list', async () => {
    const repeated = await call('GET', '/composes?ignoreImageTypes=tar&ignoreImageTypes=guest-image&limit=1&offset=1');
    const joined = await call('GET', '/composes?ignoreImageTypes=tar,guest-image&limit=1&offset=1');
    expect(repeated.body).toEqual(joined.body);
    // Left: ami, aws (the guest image of the blueprint and the qcow2 one resolve to guest-image), vsphere.
    expect(repeated.body.meta.count).toBe(3);
    expect(repeated.body.data).toHaveLength(1);
    expect(repeated.body.links.last).toBe('/api/image-builder/v1/composes?offset=2&limit=1&ignoreImageTypes=tar%2Cguest-image');
  });

  it('an unknown image type is a 400 naming it', async () => {
    const res = await call('GET', '/composes?ignoreImageTypes=floppy');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toMatch(/^ignoreImageTypes: "floppy" is not an image type \(allowed: .*guest-image.*\)/);
  });
});

describe('ignoreImageTypes on GET /blueprints/{id}/composes', () => {
  it('filters the blueprint\'s composes and keeps the filter in the links', async () => {
    const all = await call('GET', `/blueprints/${blueprintId}/composes`);
    expect(all.body.meta.count).toBe(2);
    const res = await call('GET', `/blueprints/${blueprintId}/composes?ignoreImageTypes=vsphere`);
    expect(res.body.meta.count).toBe(1);
    expect(res.body.data[0].request.image_requests[0].image_type).toBe('guest-image');
    expect(res.body.links.first).toContain('ignoreImageTypes=vsphere');
    expect((await call('GET', `/blueprints/${blueprintId}/composes?ignoreImageTypes=nope`)).status).toBe(400);
  });
});

describe('GET /distributions filters', () => {
  it('kind=bootc: no image-mode distributions here (an empty list); another kind is a 400', async () => {
    expect((await call('GET', '/distributions?kind=bootc&arch=x86_64')).body).toEqual([]);
    expect((await call('GET', '/distributions')).body.map((d: { name: string }) => d.name)).toContain('fedora-43');
    const bad = await call('GET', '/distributions?kind=classic');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].detail).toBe('kind: "classic" is not a distribution kind (allowed: bootc)');
  });
});

describe('status and distribution on GET /composes (extensions, filtered in the store)', () => {
  it('lists only the states and distribution asked for; meta.count, links and paging follow the filtered list', async () => {
    expect((await call('POST', `/composes/${ids.qcow2}/cancel`)).status).toBe(200);
    const all = (await call('GET', '/composes')).body;
    const cancelled = await call('GET', '/composes?status=cancelled');
    expect(idsOf(cancelled.body)).toEqual([ids.qcow2]);
    expect(cancelled.body.meta.count).toBe(1);
    expect(cancelled.body.links.first).toBe('/api/image-builder/v1/composes?offset=0&limit=100&status=cancelled');
    // Every other compose is queued (no runners here): unfinished states, comma-separated or repeated, give the rest.
    expect(all.data.filter((c: { status: string }) => c.status !== 'cancelled').every((c: { status: string }) => c.status === 'queued')).toBe(true);
    const others = ['pending', 'queued', 'building'];
    const rest = await call('GET', `/composes?status=${others.join(',')}`);
    expect(rest.body.meta.count).toBe(5);
    expect(idsOf(rest.body)).not.toContain(ids.qcow2);
    expect((await call('GET', `/composes?${others.map((s) => `status=${s}`).join('&')}`)).body).toEqual(rest.body);
    expect(idsOf((await call('GET', '/composes?distribution=test-distro-1')).body)).toEqual([ids.tar]);
    const fedora = await call('GET', '/composes?distribution=fedora-43&limit=2&offset=2');
    expect(fedora.body.meta.count).toBe(5);
    expect(fedora.body.data).toHaveLength(2);
    expect(fedora.body.links.last).toBe('/api/image-builder/v1/composes?offset=4&limit=2&distribution=fedora-43');
    const allFedora = idsOf((await call('GET', '/composes?distribution=fedora-43')).body);
    expect(idsOf(fedora.body)).toEqual(allFedora.slice(2, 4));
    // With each other and with ignoreImageTypes.
    expect(idsOf((await call('GET', '/composes?distribution=fedora-43&status=cancelled')).body)).toEqual([ids.qcow2]);
    expect((await call('GET', '/composes?distribution=test-distro-1&status=cancelled')).body.meta.count).toBe(0);
    const both = await call('GET', '/composes?distribution=fedora-43&ignoreImageTypes=aws&status=' + others.join(','));
    expect(idsOf(both.body)).toEqual(expect.not.arrayContaining([ids.ami, ids.aws, ids.qcow2, ids.tar]));
    expect(both.body.meta.count).toBe(2);
    expect(both.body.links.first).toContain('&distribution=fedora-43&ignoreImageTypes=aws');
    // Another organization's list stays empty under any filter.
    expect((await call('GET', '/composes?status=cancelled', undefined, 'org-other')).body.meta.count).toBe(0);
  });

  it('an unknown state or distribution is a 400 naming the parameter and the allowed values', async () => {
    const state = await call('GET', '/composes?status=pending,done');
    expect(state.status).toBe(400);
    expect(state.body.errors[0].detail).toBe('status: "done" is not a compose state (allowed: pending, queued, building, uploading, success, failure, cancelled)');
    const distro = await call('GET', '/composes?distribution=windows-11');
    expect(distro.status).toBe(400);
    expect(distro.body.errors[0].detail).toMatch(/^distribution: "windows-11" is not a distribution \(allowed: .*fedora-43.*test-distro-1.*\)$/);
    expect((await call('GET', `/blueprints/${blueprintId}/composes?status=nope`)).status).toBe(400);
  });

  it('filters a blueprint\'s composes too', async () => {
    expect((await call('GET', `/blueprints/${blueprintId}/composes?status=cancelled`)).body.meta.count).toBe(0);
    const fedora = await call('GET', `/blueprints/${blueprintId}/composes?distribution=fedora-43&limit=1`);
    expect(fedora.body.meta.count).toBe(2);
    expect(fedora.body.links.last).toContain('offset=1&limit=1&distribution=fedora-43');
    expect((await call('GET', `/blueprints/${blueprintId}/composes?distribution=test-distro-1`)).body.meta.count).toBe(0);
  });
});
