/**
 * Issue 16, several images per compose: koji-osbuild sends one compose with one image request per architecture ×
 * image type, which composer builds under one compose id and imports into one Koji build. Here: two image types of
 * the test distribution on x86_64 (`tar`, `aws`) through the local stack into the hub stand-in — one CGInitBuild, both
 * built, every read (status, image_statuses, manifests, logs, SBOMs) over both in request order, one CGImport with
 * both images' outputs; one image failing refunds the build; the quota counts every image and refuses all or none.
 * Every answer is checked against the v2 spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KOJI_BUILD_STATE } from '../../functions/composer-v2/koji/koji-session.ts';
import { COMPOSER_SPEC_PATH, createComposerChecker, loadComposerSpec } from './composer-conformance.ts';
import type { KojiHubStandIn } from './koji-hub-stand-in.ts';
import { composerClient, startKojiStack, type KojiStack } from './koji-stack.ts';

const spec = loadComposerSpec();
const skip = spec ? '' : ` (skipped: ${COMPOSER_SPEC_PATH} not found)`;

const twoImages = (hub: KojiHubStandIn, release: string) => ({
  distribution: 'test-distro-1',
  image_requests: [
    { architecture: 'x86_64', image_type: 'tar', repositories: [] },
    { architecture: 'x86_64', image_type: 'aws', repositories: [] },
  ],
  koji: { server: hub.url, task_id: 4343, name: 'test-distro-images', version: '1', release },
});

const buildOf = (hub: KojiHubStandIn, release: string) => [...hub.builds.values()].find((b) => b.nvr.release === release)!;
const count = (hub: KojiHubStandIn, call: string) => hub.calls.filter((c) => c === call).length;

describe.skipIf(!spec)(`a koji compose of two images${skip}`, () => {
  const ORG = 'koji-multi';
  const problems: string[] = [];
  let koji: KojiStack;
  let client: ReturnType<typeof composerClient>;
  beforeAll(async () => {
    koji = await startKojiStack('koji-multi');
    const base = `${koji.stack.url}/api/image-builder-composer/v2`;
    client = composerClient(base, await koji.stack.mintToken(ORG), createComposerChecker(spec!), problems);
  }, 60_000);
  afterAll(() => koji?.close());

  it('builds both images under one compose id and imports both into one Koji build', async () => {
    const { hub } = koji;
    const { call, pollWhilePending } = client;
    const initsBefore = count(hub, 'CGInitBuild');
    const created = await call('POST', '/compose', twoImages(hub, '1'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(count(hub, 'CGInitBuild') - initsBefore).toBe(1);
    const reserved = buildOf(hub, '1');

    const status = await pollWhilePending(id);
    expect(status.status, JSON.stringify(status)).toBe('success');
    expect(status.image_statuses.map((s: any) => s.status)).toEqual(['success', 'success']);
    expect(status.image_status).toEqual(status.image_statuses[0]);
    expect(status.koji_status).toEqual({ build_id: reserved.buildId });

    // One import of both images: each image's file, manifest and log, one buildroot per image; files named as composer
    // names them in a Koji build (<name>-<version>-<release>.<arch> and the file's extension).
    expect(reserved.state).toBe('imported');
    expect(count(hub, 'CGImport')).toBe(1);
    const outputs = reserved.metadata.output.map((o: any) => `${o.type}:${o.filename}:${o.buildroot_id}`);
    expect(outputs).toEqual([
      'image:test-distro-images-1-1.x86_64.tar:1',
      'osbuild-manifest:test-distro-images-1-1.x86_64.tar.manifest.json:1',
      'log:test-distro-images-1-1.x86_64.tar.log:1',
      'image:test-distro-images-1-1.x86_64.raw:2',
      'osbuild-manifest:test-distro-images-1-1.x86_64.raw.manifest.json:2',
      'log:test-distro-images-1-1.x86_64.raw.log:2',
    ]);
    expect(reserved.metadata.buildroots.map((b: any) => [b.id, b.host.arch])).toEqual([
      [1, 'x86_64'],
      [2, 'x86_64'],
    ]);
    expect(Object.keys(reserved.metadata.build.extra.typeinfo.image)).toEqual(['test-distro-images-1-1.x86_64.tar', 'test-distro-images-1-1.x86_64.raw']);

    // The reads koji-osbuild makes afterwards, one entry per image in request order.
    const manifests = (await call('GET', `/composes/${id}/manifests`)).body.manifests;
    expect(manifests).toHaveLength(2);
    expect(JSON.stringify(manifests[0])).toContain('org.osbuild.tar');
    expect(JSON.stringify(manifests[1])).toContain('org.osbuild.truncate');
    const logs = (await call('GET', `/composes/${id}/logs`)).body;
    expect(logs.image_builds.map((b: any) => [b.status, b.complete])).toEqual([
      ['success', true],
      ['success', true],
    ]);
    expect(logs.koji).toMatchObject({ init: { build_id: reserved.buildId }, import: { build_id: reserved.buildId, state: 'imported' } });
    expect((await call('GET', `/composes/${id}/sboms`)).body.items).toHaveLength(2);
    const metadata = (await call('GET', `/composes/${id}/metadata`)).body;
    expect(metadata.request.image_requests).toHaveLength(2);

    // The second image is part of the compose, not a compose of its own.
    const stored = await koji.stack.deps.store.get(ORG, id);
    const [, second] = stored!.composerImages!;
    const list = (await call('GET', '/composes')).body as any[];
    expect(list.map((c) => c.id)).toEqual([id]);
    expect(list[0].image_statuses).toHaveLength(2);
    expect((await call('GET', `/composes/${second}`)).status).toBe(404);

    // DELETE removes both.
    expect((await call('DELETE', `/composes/${id}`)).status).toBe(200);
    expect((await koji.stack.deps.store.get(ORG, second!))?.deletedAt).toBeDefined();
    expect((await call('GET', '/composes')).body).toBeNull();
  }, 120_000);

  it('a cancel of the compose cancels both images and refunds the build (CANCELED)', async () => {
    const { hub, stack } = koji;
    const created = await client.call('POST', '/compose', twoImages(hub, '2'));
    const id = created.body.id as string;
    const token = await stack.mintToken(ORG);
    const cancel = await fetch(`${stack.url}/api/image-builder/v1/composes/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(cancel.status).toBe(200);
    // The cancel takes the other image with it at once (not when the build is settled: it could finish meanwhile).
    const second = (await stack.deps.store.get(ORG, id))!.composerImages![1]!;
    expect((await stack.deps.store.get(ORG, second))?.state).toBe('cancelled');
    await expect.poll(() => buildOf(hub, '2').state, { timeout: 30_000, interval: 50 }).toBe('refunded');
    expect(buildOf(hub, '2').refundState).toBe(KOJI_BUILD_STATE.canceled);
    expect((await stack.deps.store.get(ORG, second))?.state).toBe('cancelled');
    const status = await client.pollWhilePending(id);
    expect(status.status).toBe('failure');
    expect(status.image_statuses.map((s: any) => s.status)).toEqual(['failure', 'failure']);
  }, 60_000);

  it('every answer matched the v2 spec', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!spec)(`a koji compose of two images, one failing, within a quota of 3${skip}`, () => {
  const ORG = 'koji-multi-fail';
  const problems: string[] = [];
  let koji: KojiStack;
  let client: ReturnType<typeof composerClient>;
  beforeAll(async () => {
    // The aws image's disk pipeline starts with org.osbuild.truncate, which the tar image has not: only it fails.
    koji = await startKojiStack('koji-multi-fail', {
      runnerEnv: { OSBUILD_DOUBLE_FAIL_STAGE: 'org.osbuild.truncate' },
      quotas: { buildsPerWindow: 3, windowSeconds: 3600, concurrentBuilds: 100 },
    });
    const base = `${koji.stack.url}/api/image-builder-composer/v2`;
    client = composerClient(base, await koji.stack.mintToken(ORG), createComposerChecker(spec!), problems);
  }, 60_000);
  afterAll(() => koji?.close());

  it('one image failing makes the compose a failure and refunds the build (FAILED), importing nothing', async () => {
    const { hub } = koji;
    const created = await client.call('POST', '/compose', twoImages(hub, '1'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const status = await client.pollWhilePending(created.body.id);
    expect(status.status).toBe('failure');
    expect(status.image_statuses[1]).toMatchObject({ status: 'failure', error: { reason: expect.stringMatching(/org\.osbuild\.truncate/) } });
    await expect.poll(() => buildOf(hub, '1').state, { timeout: 30_000, interval: 50 }).toBe('refunded');
    expect(buildOf(hub, '1').refundState).toBe(KOJI_BUILD_STATE.failed);
    expect(count(hub, 'CGImport')).toBe(0);
  }, 120_000);

  it('counts both images towards the quota, and refuses a two-image compose over it creating nothing', async () => {
    const { hub, stack } = koji;
    const before = (await stack.deps.store.list(ORG, { limit: 100, offset: 0 })).total;
    expect(before).toBe(2);
    const refused = await client.call('POST', '/compose', twoImages(hub, '2'));
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body).toMatchObject({ code: 'IMAGE-BUILDER-COMPOSER-2' });
    expect((await stack.deps.store.list(ORG, { limit: 100, offset: 0 })).total).toBe(before);
    // Its reservation was given back.
    expect(buildOf(hub, '2')).toMatchObject({ state: 'refunded', refundState: KOJI_BUILD_STATE.canceled });
    // One image still fits the third slot.
    const one = await client.call('POST', '/compose', { ...twoImages(hub, '3'), image_requests: [twoImages(hub, '3').image_requests[0]] });
    expect(one.status, JSON.stringify(one.body)).toBe(201);
  }, 60_000);

  it('every answer matched the v2 spec', () => {
    expect(problems).toEqual([]);
  });
});
