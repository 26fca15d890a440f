/**
 * Issue 16 "Koji": the koji-osbuild plugin's request sequence against the local stack (compose with a `koji` block,
 * poll the status every few seconds, then read logs and manifests), imported into the hub stand-in with its checks;
 * a cancelled compose refunds its build. Every answer is checked against the v2 spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { KOJI_BUILD_STATE } from '../../functions/composer-v2/koji/koji-session.ts';
import { settleKojiBuildOf } from '../../functions/composer-v2/koji/koji-builds.ts';
import { COMPOSER_SPEC_PATH, createComposerChecker, loadComposerSpec } from './composer-conformance.ts';
import type { KojiHubStandIn } from './koji-hub-stand-in.ts';
import { startKojiStack, type KojiStack } from './koji-stack.ts';

const spec = loadComposerSpec();
const ORG = 'koji-org';
let stack: LocalStack;
let hub: KojiHubStandIn;
let base: string;
let token: string;
const problems: string[] = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await res.json();
  const checked = createComposerChecker(spec!).check({ method, path, status: res.status, contentType: res.headers.get('content-type'), body: parsed });
  problems.push(...checked.problems.map((p) => `${method} ${path}: ${p}`));
  return { status: res.status, body: parsed };
}

/** koji-osbuild's loop: the compose status, again and again, until it is no longer pending. */
async function pollWhilePending(id: string): Promise<any> {
  for (const deadline = Date.now() + 90_000; ; ) {
    const { body } = await call('GET', `/composes/${id}`);
    if (body.status !== 'pending') return body;
    if (Date.now() > deadline) throw new Error(`compose ${id} still pending`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const kojiCompose = (release: string) => ({
  distribution: 'test-distro-1',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar', repositories: [] }],
  koji: { server: hub.url, task_id: 4242, name: 'test-distro-tar', version: '1', release },
});

describe.skipIf(!spec)(`a koji compose, as koji-osbuild sends it${spec ? '' : ` (skipped: ${COMPOSER_SPEC_PATH} not found)`}`, () => {
  let koji: KojiStack | undefined;
  beforeAll(async () => {
    koji = await startKojiStack('koji');
    ({ hub, stack } = koji);
    base = `${stack.url}/api/image-builder-composer/v2`;
    token = await stack.mintToken(ORG);
  }, 60_000);
  afterAll(() => koji?.close());

  it('reserves the build, builds, uploads and imports it; the status names the Koji build', async () => {
    const created = await call('POST', '/compose', kojiCompose('1'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const reserved = [...hub.builds.values()].find((b) => b.nvr.release === '1')!;
    expect(reserved.state).toBe('reserved');
    expect(hub.calls).toEqual(['sslLogin', 'CGInitBuild']);

    const status = await pollWhilePending(created.body.id);
    expect(status.status, JSON.stringify(status)).toBe('success');
    expect(status.koji_status).toEqual({ build_id: reserved.buildId });
    expect(reserved.state).toBe('imported');
    const outputs = reserved.metadata.output.map((o: any) => `${o.type}:${o.filename}`);
    // Named as composer names Koji outputs: <name>-<version>-<release>.<arch> and the file's extension.
    expect(outputs).toEqual(['image:test-distro-tar-1-1.x86_64.tar', 'osbuild-manifest:test-distro-tar-1-1.x86_64.tar.manifest.json', 'log:test-distro-tar-1-1.x86_64.tar.log']);
    expect(reserved.metadata.build).toMatchObject({ task_id: 4242, name: 'test-distro-tar', version: '1', release: '1' });
    expect(hub.calls.at(-1)).toBe('CGImport');
    expect(hub.calls.filter((c) => c === 'CGImport')).toHaveLength(1);

    // Then the plugin reads the logs and manifests into the Koji task; another status read imports nothing again.
    const logs = await call('GET', `/composes/${created.body.id}/logs`);
    expect(logs.body.koji).toMatchObject({ init: { build_id: reserved.buildId }, import: { build_id: reserved.buildId, state: 'imported' } });
    expect((await call('GET', `/composes/${created.body.id}/manifests`)).body.manifests).toHaveLength(1);
    await call('GET', `/composes/${created.body.id}`);
    expect(hub.calls.filter((c) => c === 'CGImport')).toHaveLength(1);
  }, 120_000);

  it('refunds the reserved build of a compose that does not succeed (cancelled)', async () => {
    const created = await call('POST', '/compose', kojiCompose('2'));
    const reserved = [...hub.builds.values()].find((b) => b.nvr.release === '2')!;
    const cancel = await fetch(`${stack.url}/api/image-builder/v1/composes/${created.body.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(cancel.status).toBe(200);
    const status = await pollWhilePending(created.body.id);
    expect(status.status).toBe('failure');
    // The refund follows the state change (the workers' sweep, the status-events function on AWS), not the read.
    await expect.poll(() => reserved.state, { timeout: 60_000, interval: 50 }).toBe('refunded');
    expect(reserved).toMatchObject({ state: 'refunded', refundState: KOJI_BUILD_STATE.canceled });
  }, 90_000);

  it('imports once when two status reads and two settling workers race at the end of the build', async () => {
    const created = await call('POST', '/compose', kojiCompose('4'));
    const reserved = [...hub.builds.values()].find((b) => b.nvr.release === '4')!;
    const count = (call: string) => hub.calls.filter((c) => c === call).length;
    const [importsBefore, uploadsBefore] = [count('CGImport'), count('uploadFile')];
    await expect.poll(async () => (await stack.deps.store.get(ORG, created.body.id))?.state, { timeout: 60_000, interval: 20 }).toBe('success');
    const [a, b] = await Promise.all([
      call('GET', `/composes/${created.body.id}`),
      call('GET', `/composes/${created.body.id}`),
      settleKojiBuildOf(stack.deps, ORG, created.body.id),
      settleKojiBuildOf(stack.deps, ORG, created.body.id),
    ]);
    // The reads only report: pending until the import is recorded, then success.
    for (const read of [a, b]) expect(['pending', 'success']).toContain(read.body.status);
    const status = await pollWhilePending(created.body.id);
    expect(status.status, JSON.stringify(status)).toBe('success');
    expect(reserved.state).toBe('imported');
    // One import: one CGImport and one upload of each of the three files (image, manifest, log; one chunk each).
    expect(count('CGImport') - importsBefore).toBe(1);
    expect(count('uploadFile') - uploadsBefore).toBe(3);
    expect((await call('GET', `/composes/${created.body.id}/logs`)).body.koji.import.state).toBe('imported');
  }, 90_000);

  it('refuses a hub it is not configured for, reserving nothing', async () => {
    const before = hub.builds.size;
    const refused = await call('POST', '/compose', { ...kojiCompose('3'), koji: { ...kojiCompose('3').koji, server: 'https://koji.example.org/kojihub' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'IMAGE-BUILDER-COMPOSER-38' });
    expect(hub.builds.size).toBe(before);
  });

  it('every answer matched the v2 spec', () => {
    expect(problems).toEqual([]);
  });
});
