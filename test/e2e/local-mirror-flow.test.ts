import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { type GenPackage, writeRepo } from '../depsolve/repo-generator.ts';
import { writeImageMirror, writeRpms } from '../support/image-mirror.ts';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.ts';

/**
 * A restricted network with a local mirror: fedora-44's system repositories come from IBS_REPOSITORIES_DIR and point
 * at a file:// mirror; a payload repository is reachable only through an HTTP proxy (its host does not resolve). The
 * depsolver reads the mirror from disk and the payload repository through the proxy; the runner's osbuild (the test
 * double's curl source) reads the file:// RPMs and downloads the payload RPM through http_proxy. Nothing leaves
 * 127.0.0.1.
 */
const root = resolve(import.meta.dirname, '../..');
const mirrorDir = mkdtempSync(join(tmpdir(), 'ibs-mirror-'));
const extrasDir = mkdtempSync(join(tmpdir(), 'ibs-extras-'));
const overridesDir = mkdtempSync(join(tmpdir(), 'ibs-repositories-'));
const mirrorUrl = pathToFileURL(mirrorDir).href;
const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGExtrasKey\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
const KEY_URL = 'https://extras.invalid/RPM-GPG-KEY-extras';
let extras: StaticServer;
let proxy: ForwardProxy;
let stack: LocalStack;
let api: string;
let auth: Record<string, string>;
const savedDir = process.env.IBS_REPOSITORIES_DIR;

beforeAll(async () => {
  // composer's format: the mirror replaces fedora-44's system repositories (x86_64 only here)
  writeFileSync(join(overridesDir, 'fedora-44.json'), JSON.stringify({ x86_64: [{ name: 'local-mirror', baseurl: `${mirrorUrl}/`, check_gpg: false }] }));
  process.env.IBS_REPOSITORIES_DIR = overridesDir;
  await writeImageMirror(mirrorDir, 'fedora-44', 'guest-image', ['tmux']);
  const extraPackages: GenPackage[] = [{ name: 'extra-tool', version: '2.0', release: '1.fc44', arch: 'x86_64', summary: 'from the payload repository' }];
  writeRepo(extrasDir, { packages: extraPackages });
  writeRpms(extrasDir, extraPackages);
  writeFileSync(join(extrasDir, 'RPM-GPG-KEY-extras'), KEY);
  extras = await serveDirectory(extrasDir);
  proxy = await startForwardProxy(() => ({ port: Number(new URL(extras.url).port) }));

  const { startLocalStack } = await import('../../local/stack.ts');
  const { RepoDepsolver } = await import('../../layers/src/depsolve/index.ts');
  stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'ibs-mirror-flow-')),
    port: 0,
    runners: 1,
    runnerEnv: { IBS_OSBUILD: join(root, 'test/osbuild-double/osbuild'), IBS_LOG_LEVEL: 'warn', http_proxy: proxy.url, no_proxy: '', NO_PROXY: '', OSBUILD_SOURCES_CURL_PROXY: '' },
    depsolver: new RepoDepsolver({ proxyEnv: { http_proxy: proxy.url } }),
    log: createLogger({}, { write: () => {} }),
  });
  api = `${stack.url}/api/image-builder/v1`;
  auth = { authorization: `Bearer ${await stack.mintToken('local')}` };
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  await extras?.close();
  if (savedDir === undefined) delete process.env.IBS_REPOSITORIES_DIR;
  else process.env.IBS_REPOSITORIES_DIR = savedDir;
});

const post = (path: string, body: unknown) => fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });

type Stage = { type: string; options?: Record<string, unknown> };
type Manifest = { pipelines: { name: string; stages: Stage[] }[]; sources: Record<string, { items: Record<string, { url?: string } | string> }> };

describe('a local mirror (IBS_REPOSITORIES_DIR, file://) and a payload repository behind a proxy', () => {
  it('package search reads the overridden system repositories', async () => {
    const body = (await (await fetch(`${api}/packages?distribution=fedora-44&architecture=x86_64&search=tmu`, { headers: auth })).json()) as { data: { name: string; summary: string; repository: string }[] };
    expect(body.data).toContainEqual(expect.objectContaining({ name: 'tmux', summary: 'tmux (mirror)', repository: 'local-mirror' }));
  });

  it('builds a guest-image with a payload and a custom repository to success', { timeout: 120_000 }, async () => {
    const created = await post('/compose', {
      distribution: 'fedora-44',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
      customizations: {
        packages: ['tmux', 'extra-tool'],
        // the key by URL: downloaded (through the proxy) for the rpm stage, as osbuild-depsolve-dnf does
        payload_repositories: [{ id: 'extras', rhsm: false, baseurl: 'http://extras.invalid/', check_gpg: true, gpgkey: 'http://extras.invalid/RPM-GPG-KEY-extras', module_hotfixes: true }],
        // a key by URL: an inline key is copied to /etc/pki/rpm-gpg, which only the (simulated) rpm stage creates
        custom_repositories: [{ id: 'extras', name: 'Extras', baseurl: ['http://extras.invalid/'], gpgkey: [KEY_URL], check_gpg: true, enabled: true, module_hotfixes: true }],
      },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    let status: { state: string; image_status: { status: string; error?: unknown } };
    for (;;) {
      status = (await (await fetch(`${api}/composes/${id}`, { headers: auth })).json()) as typeof status;
      if (['success', 'failure'].includes(status.image_status.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.image_status.error).toBeUndefined();
    expect(status.state).toBe('success');

    const { manifests } = (await (await fetch(`${api}/composes/${id}/manifests`, { headers: auth })).json()) as { manifests: Manifest[] };
    const manifest = manifests[0];
    const urls = Object.values(manifest.sources['org.osbuild.curl'].items).map((i) => (typeof i === 'string' ? i : i.url!));
    // the OS and build root from the mirror on disk, extra-tool from the payload repository (os package set only)
    expect(urls.filter((u) => !u.startsWith(`${mirrorUrl}/Packages/`))).toEqual(['http://extras.invalid/Packages/e/extra-tool-2.0-1.fc44.x86_64.rpm']);
    const stagesOf = (name: string) => manifest.pipelines.find((p) => p.name === name)!.stages;
    const osRpm = stagesOf('os').find((s) => s.type === 'org.osbuild.rpm')!;
    expect(osRpm.options?.gpgkeys).toEqual([KEY]);
    expect(JSON.stringify(stagesOf('build'))).not.toContain('extra-tool');
    // the custom repository is written into the image (yum.repos stage)
    expect(stagesOf('os').find((s) => s.type === 'org.osbuild.yum.repos')?.options).toEqual({
      filename: 'extras.repo',
      repos: [{ id: 'extras', name: 'Extras', baseurl: ['http://extras.invalid/'], gpgkey: [KEY_URL], gpgcheck: true, enabled: true, module_hotfixes: true }],
    });

    // depsolve and the runner's download both went through the proxy; nothing else did
    const seen = proxy.requests.map((r) => `${r.method} ${r.target}`);
    expect(seen).toContain('GET http://extras.invalid/repodata/repomd.xml');
    expect(seen).toContain('GET http://extras.invalid/RPM-GPG-KEY-extras');
    expect(seen).toContain('GET http://extras.invalid/Packages/e/extra-tool-2.0-1.fc44.x86_64.rpm');
    expect(seen.every((s) => s.startsWith('GET http://extras.invalid/'))).toBe(true);
    const logs = (await (await fetch(`${api}/composes/${id}/logs?offset=0`, { headers: auth })).json()) as { logs: string };
    expect(logs.logs).toContain(`Downloaded ${mirrorUrl}/Packages/`);
  });

  it('an inline key of a custom repository is written to /etc/pki/rpm-gpg and named by path in its .repo file', async () => {
    const res = await post('/manifest', {
      distribution: 'fedora-44',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
      customizations: { custom_repositories: [{ id: 'extras', baseurl: ['http://extras.invalid/'], gpgkey: [KEY], check_gpg: true }] },
    });
    expect(res.status).toBe(200);
    const { manifest } = (await res.json()) as { manifest: Manifest };
    const os = manifest.pipelines.find((p) => p.name === 'os')!.stages;
    expect(os.find((s) => s.type === 'org.osbuild.yum.repos')?.options).toEqual({
      filename: 'extras.repo',
      repos: [{ id: 'extras', baseurl: ['http://extras.invalid/'], gpgkey: ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-extras-0'], gpgcheck: true, enabled: true }],
    });
    const copy = os.find((s) => s.type === 'org.osbuild.copy' && JSON.stringify(s.options).includes('RPM-GPG-KEY-extras-0'))!;
    const [ref] = Object.keys(manifest.sources['org.osbuild.inline'].items).filter((k) => JSON.stringify(copy).includes(k));
    expect(Buffer.from((manifest.sources['org.osbuild.inline'].items[ref] as unknown as { data: string }).data, 'base64').toString()).toBe(KEY);
  });
});
