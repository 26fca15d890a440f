/** The Koji content-generator client (functions/composer-v2/koji) against the hub stand-in: reserve, upload, import, refund. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adler32Hex, KOJI_BUILD_STATE, KojiSession, sslCertificateAuth } from '../../functions/composer-v2/koji/koji-session.ts';
import { kojiImportMetadata } from '../../functions/composer-v2/koji/koji-metadata.ts';
import { decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse, XmlRpcFault } from '../../functions/composer-v2/koji/xmlrpc.ts';
import { startKojiHubStandIn, type KojiHubStandIn } from './koji-hub-stand-in.ts';

const pkg = (name: string) => ({ name, epoch: 0, version: '1.0', release: '1.fc43', arch: 'x86_64', checksum: `sha256:${name}`, remoteLocation: `file:///${name}.rpm`, repoId: 'r' });

async function* bytes(data: Buffer, piece = 300_000) {
  for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
}

describe('XML-RPC codec', () => {
  it('round-trips calls, responses and faults, escaping text', () => {
    const params = [{ name: 'a<b&c', n: 3, x: 1.5, ok: true, none: null, list: ['x', 2], blob: Buffer.from('hi') }];
    const call = decodeCall(encodeCall('CGInitBuild', params));
    expect(call.method).toBe('CGInitBuild');
    expect(call.params).toEqual(params);
    expect(decodeResponse(encodeResponse({ build_id: 7, token: 't' }))).toEqual({ build_id: 7, token: 't' });
    expect(() => decodeResponse(encodeFault(1000, 'GenericError: no'))).toThrow(XmlRpcFault);
  });

  it('computes Adler-32 as zlib does', () => {
    expect(adler32Hex(Buffer.from('Wikipedia'))).toBe('11e60398');
    expect(adler32Hex(Buffer.alloc(0))).toBe('00000001');
    expect(adler32Hex(Buffer.alloc(100_000, 0xff))).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('Koji content-generator import against the hub stand-in', () => {
  let hub: KojiHubStandIn;
  beforeAll(async () => {
    hub = await startKojiHubStandIn();
  });
  afterAll(() => hub?.close());

  it('reserves the build, uploads in checked chunks, imports with metadata the hub accepts', async () => {
    const session = await KojiSession.open(hub.url, sslCertificateAuth({}));
    const nvr = { name: 'fedora-guest', version: '43', release: '1' };
    const { buildId, token } = await session.initBuild(nvr);
    expect(hub.builds.get(buildId)?.state).toBe('reserved');

    const image = Buffer.alloc(2.5 * 1024 * 1024 + 17, 7);
    const manifest = Buffer.from('{"version":"2"}');
    const dir = 'osbuild-cg/abc';
    const up = await session.upload(bytes(image), dir, 'disk.qcow2');
    expect(up).toEqual({ size: image.length, md5: createHash('md5').update(image).digest('hex') });
    const man = await session.upload(bytes(manifest), dir, 'disk.manifest.json');
    expect(hub.calls.filter((c) => c === 'uploadFile')).toHaveLength(4); // 3 chunks of the image (1 MiB each at most) + 1

    const metadata = kojiImportMetadata({
      koji: { taskId: 42, ...nvr },
      buildId,
      startTime: 1,
      endTime: 2,
      osbuildVersion: '191',
      serviceVersion: '0.1.0',
      images: [
        {
          arch: 'x86_64',
          imageType: 'guest-image',
          packages: { build: [pkg('rpm')], os: [pkg('kernel'), pkg('bash')] },
          files: [
            { filename: 'disk.qcow2', size: up.size, md5: up.md5, type: 'image' },
            { filename: 'disk.manifest.json', size: man.size, md5: man.md5, type: 'osbuild-manifest' },
          ],
        },
      ],
    });
    expect(await session.importBuild(metadata, dir, token)).toBe(buildId);
    const stored = hub.builds.get(buildId)!;
    expect(stored.state).toBe('imported');
    expect(stored.metadata.buildroots[0].components.map((c: any) => c.name)).toEqual(['rpm']);
    expect(stored.metadata.output[0]).toMatchObject({ type: 'image', arch: 'x86_64', filesize: image.length, checksum_type: 'md5' });
    expect(stored.metadata.output[0].components.map((c: any) => c.name)).toEqual(['kernel', 'bash']);
    expect(stored.metadata.build.extra.typeinfo.image['disk.qcow2']).toMatchObject({ arch: 'x86_64' });
    expect(hub.calls.slice(0, 2)).toEqual(['sslLogin', 'CGInitBuild']);
    expect(hub.calls.at(-1)).toBe('CGImport');
  });

  it('refuses an import whose checksum does not match the upload, and refunds the build', async () => {
    const session = await KojiSession.open(hub.url, sslCertificateAuth({}));
    const { buildId, token } = await session.initBuild({ name: 'bad', version: '1', release: '1' });
    const up = await session.upload(bytes(Buffer.from('image')), 'd2', 'img.raw');
    const metadata = kojiImportMetadata({
      koji: { taskId: 1, name: 'bad', version: '1', release: '1' },
      buildId, startTime: 1, endTime: 2, osbuildVersion: '1', serviceVersion: '1',
      images: [{ arch: 'x86_64', imageType: 'tar', packages: {}, files: [{ filename: 'img.raw', size: up.size, md5: '0'.repeat(32), type: 'image' }] }],
    });
    await expect(session.importBuild(metadata, 'd2', token)).rejects.toThrow(/Corrupted upload/);
    await expect(session.importBuild({ ...metadata, build: { ...metadata.build } }, 'd2', 'wrong-token')).rejects.toThrow(/no reserved build/);
    await session.refundBuild(buildId, token);
    expect(hub.builds.get(buildId)).toMatchObject({ state: 'refunded', refundState: KOJI_BUILD_STATE.failed });
    // A refunded build's NVR can be reserved again.
    expect((await session.initBuild({ name: 'bad', version: '1', release: '1' })).buildId).not.toBe(buildId);
  });

  it('fails a session whose key is wrong (the hub checks every call)', async () => {
    const session = await KojiSession.open(hub.url, { login: async () => ({ sessionId: 999, sessionKey: 'nope' }) });
    await expect(session.initBuild({ name: 'x', version: '1', release: '1' })).rejects.toThrow(/AuthError/);
  });
});
