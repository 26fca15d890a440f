import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IndexStore, RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { readProxySettings } from '../../layers/src/depsolve/repository-fetch.ts';
import { SourceCollector } from '../../layers/src/manifest/sources.ts';
import { serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.ts';

const subst = { arch: 'x86_64', releasever: '40' };
const ARMORED_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBTest\n-----END PGP PUBLIC KEY BLOCK-----\n';
let dir: string;
let server: StaticServer;
let proxy: ForwardProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'repo-fetch-'));
  writeRepo(dir, craftedMain);
  writeFileSync(join(dir, 'RPM-GPG-KEY-test-40'), ARMORED_KEY);
  writeFileSync(join(dir, 'not-a-key'), 'hello');
  server = await serveDirectory(dir);
  proxy = await startForwardProxy(() => ({ port: Number(new URL(server.url).port) }));
});
afterAll(async () => {
  await proxy.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.requests.length = 0;
  server.requests.length = 0;
});

const request = (repositories: { id: string; baseurl: string[] }[]) => ({
  architecture: 'x86_64',
  releasever: '40',
  sets: { os: { include: ['httpd'], exclude: [], repositories, installWeakDeps: true } },
});

describe('file:// repositories (local mirrors)', () => {
  it('resolves packages from a repository on disk, the RPM locations being file:// URLs', async () => {
    const base = pathToFileURL(dir).href;
    const { os } = await new RepoDepsolver().resolve(request([{ id: 'disk', baseurl: [base] }]));
    const httpd = os.find((p) => p.name === 'httpd')!;
    expect(httpd.remoteLocation).toMatch(new RegExp(`^${base}/Packages/`));
    expect(server.requests).toEqual([]);
  });

  it('a missing file:// repository names the path', async () => {
    const missing = pathToFileURL(join(dir, 'nowhere')).href;
    await expect(new IndexStore().load({ id: 'gone', baseurl: [missing] }, subst)).rejects.toThrow(/repository "gone".*repomd\.xml.*404.*no file/);
  });

  it('is refused when file URLs are turned off, and always behind the public-address guard', async () => {
    const base = pathToFileURL(dir).href;
    await expect(new IndexStore({ fileUrls: false }).load({ id: 'off', baseurl: [base] }, subst)).rejects.toThrow(/file:\/\/ URLs are not allowed/);
    await expect(new IndexStore({ allowPrivateAddresses: false }).load({ id: 'aws', baseurl: [base] }, subst)).rejects.toThrow(/file:\/\/ URLs are not allowed.*only http and https/);
  });
});

describe('GPG keys given as URLs (read as osbuild-depsolve-dnf read_keys does)', () => {
  const keysOf = (repositories: { id: string; baseurl: string[]; gpgkeys: string[]; checkGpg?: boolean }[], depsolver = new RepoDepsolver()) =>
    depsolver.fetchGpgKeys({ architecture: 'x86_64', releasever: '40', repositories });

  it('downloads http(s) and file:// keys of repositories with gpgcheck, $releasever substituted; armored keys stay as they are', async () => {
    const httpKey = `${server.url}/RPM-GPG-KEY-test-$releasever`;
    const fileKey = `${pathToFileURL(dir).href}/RPM-GPG-KEY-test-40`;
    const keys = await keysOf([
      { id: 'a', baseurl: [server.url], gpgkeys: [httpKey, ARMORED_KEY], checkGpg: true },
      { id: 'b', baseurl: [server.url], gpgkeys: [fileKey], checkGpg: true },
      { id: 'unchecked', baseurl: [server.url], gpgkeys: [`${server.url}/nowhere`], checkGpg: false },
    ]);
    expect(keys).toEqual({ [httpKey]: ARMORED_KEY, [fileKey]: ARMORED_KEY });
    expect(server.requests).toContain('/RPM-GPG-KEY-test-40');
  });

  it('a key that cannot be read, or is not a key, fails naming the repository and the URL', async () => {
    await expect(keysOf([{ id: 'gone', baseurl: [server.url], gpgkeys: [`${server.url}/nowhere`], checkGpg: true }])).rejects.toThrow(/repository "gone": cannot read GPG key .*\/nowhere: HTTP 404/);
    await expect(keysOf([{ id: 'junk', baseurl: [server.url], gpgkeys: [`${server.url}/not-a-key`], checkGpg: true }])).rejects.toThrow(/repository "junk": GPG key .*not-a-key is not an armored public key/);
  });

  it('through the proxy, and behind the address guard (which refuses file://)', async () => {
    const keys = await keysOf([{ id: 'p', baseurl: ['http://mirror.invalid/'], gpgkeys: ['http://mirror.invalid/RPM-GPG-KEY-test-40'], checkGpg: true }], new RepoDepsolver({ proxyEnv: { http_proxy: proxy.url } }));
    expect(Object.values(keys)).toEqual([ARMORED_KEY]);
    expect(proxy.requests.map((r) => r.target)).toContain('http://mirror.invalid/RPM-GPG-KEY-test-40');
    const guarded = new RepoDepsolver({ allowPrivateAddresses: false });
    await expect(keysOf([{ id: 'g', baseurl: ['https://example.org/'], gpgkeys: [`${pathToFileURL(dir).href}/RPM-GPG-KEY-test-40`], checkGpg: true }], guarded)).rejects.toThrow(/repository "g": cannot read GPG key file:.*not allowed/);
  });
});

describe('HTTP(S) proxies from the environment', () => {
  it('reads lower- and upper-case variables, lower-case first; none means no proxy', () => {
    expect(readProxySettings({})).toBeUndefined();
    expect(readProxySettings({ no_proxy: 'x' })).toBeUndefined();
    expect(readProxySettings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: 'a,b' })).toEqual({ httpProxy: '', httpsProxy: 'http://p:1', noProxy: 'a,b' });
    expect(readProxySettings({ http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:1' })?.httpProxy).toBe('http://low:1');
  });

  it('metadata of an http repository is fetched through http_proxy (a host only the proxy can reach)', async () => {
    const depsolver = new RepoDepsolver({ proxyEnv: { http_proxy: proxy.url } });
    const { os } = await depsolver.resolve(request([{ id: 'proxied', baseurl: ['http://mirror.invalid/'] }]));
    expect(os.map((p) => p.name)).toContain('httpd');
    const targets = proxy.requests.map((r) => `${r.method} ${r.target}`);
    expect(targets).toContain('GET http://mirror.invalid/repodata/repomd.xml');
    expect(targets.some((t) => /^GET http:\/\/mirror\.invalid\/repodata\/.*primary\.xml/.test(t))).toBe(true);
  });

  it('upper-case HTTP_PROXY works too', async () => {
    await new IndexStore({ proxyEnv: { HTTP_PROXY: proxy.url } }).load({ id: 'upper', baseurl: ['http://mirror.invalid/'] }, subst);
    expect(proxy.requests.map((r) => r.target)).toContain('http://mirror.invalid/repodata/repomd.xml');
  });

  it('no_proxy bypasses the proxy (the host is then looked up directly, and .invalid does not resolve)', async () => {
    for (const noProxy of ['mirror.invalid', '.invalid', 'other.example,*.invalid', 'mirror.invalid:80']) {
      const store = new IndexStore({ proxyEnv: { http_proxy: proxy.url, no_proxy: noProxy } });
      await expect(store.load({ id: 'direct', baseurl: ['http://mirror.invalid/'] }, subst), noProxy).rejects.toThrow(/repomd\.xml/);
    }
    expect(proxy.requests).toEqual([]);
    // a no_proxy entry for another host or port leaves this one proxied
    await new IndexStore({ proxyEnv: { http_proxy: proxy.url, NO_PROXY: 'example.org,mirror.invalid:8080' } }).load({ id: 'p', baseurl: ['http://mirror.invalid/'] }, subst);
    expect(proxy.requests.length).toBeGreaterThan(0);
  });

  it('loopback mirrors are fetched directly even with a proxy set (a proxy elsewhere cannot reach them)', async () => {
    await new IndexStore({ proxyEnv: { http_proxy: proxy.url } }).load({ id: 'local', baseurl: [server.url] }, subst);
    expect(server.requests).toContain('/repodata/repomd.xml');
    expect(proxy.requests).toEqual([]);
  });

  it('https repositories go through https_proxy with CONNECT', async () => {
    const store = new IndexStore({ proxyEnv: { https_proxy: proxy.url } });
    // the stand-in tunnels to a plain-http server, so TLS fails after the tunnel is set up
    await expect(store.load({ id: 'tls', baseurl: ['https://secure.invalid/repo'] }, subst)).rejects.toThrow(/repomd\.xml/);
    expect(proxy.requests).toContainEqual({ method: 'CONNECT', target: 'secure.invalid:443' });
  });

  it('a fetch given by the caller is used as it is (no proxy)', async () => {
    const seen: string[] = [];
    const store = new IndexStore({ proxyEnv: { http_proxy: proxy.url }, fetch: (input, init) => (seen.push(String(input)), fetch(input, init)) });
    await store.load({ id: 'own', baseurl: [server.url] }, subst);
    expect(seen[0]).toBe(`${server.url}/repodata/repomd.xml`);
    expect(proxy.requests).toEqual([]);
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)(`repositories with sslverify off (API ignore_ssl)${hasOpenssl ? '' : ' (skipped: no openssl to make a certificate)'}`, () => {
  let tls: HttpsServer;
  let url: string;
  beforeAll(async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'repo-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(certDir, 'k.pem'), '-out', join(certDir, 'c.pem')]);
    expect(made.status, made.stderr.toString()).toBe(0);
    // a self-signed certificate in front of the same repository
    tls = createHttpsServer({ key: readFileSync(join(certDir, 'k.pem')), cert: readFileSync(join(certDir, 'c.pem')) }, (req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      try {
        res.writeHead(200).end(readFileSync(join(dir, path)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => tls.close(() => r())));

  it('a self-signed repository fails verification unless its sslverify is off; its packages are downloaded insecure', async () => {
    await expect(new IndexStore().load({ id: 'strict', baseurl: [url] }, subst)).rejects.toThrow(/repository "strict".*repomd\.xml.*self-signed certificate/);
    const { os } = await new RepoDepsolver().resolve({ ...request([]), sets: { os: { ...request([]).sets.os, repositories: [{ id: 'lax', baseurl: [url], sslverify: false }] } } });
    expect(os.every((p) => p.ignoreSsl === true && p.remoteLocation.startsWith(url))).toBe(true);
    const sources = new SourceCollector();
    sources.addPackages([...os, { ...os[0], name: 'other', checksum: `sha256:${'0'.repeat(64)}`, ignoreSsl: undefined }]);
    const items = sources.toSources()['org.osbuild.curl']!.items as Record<string, { url: string; insecure?: boolean }>;
    expect(items[os[0].checksum]).toEqual({ url: os[0].remoteLocation, insecure: true });
    expect(items[`sha256:${'0'.repeat(64)}`]).toEqual({ url: os[0].remoteLocation });
  });

  it('behind the public-address guard too (only the certificate check is skipped)', async () => {
    const guard = { isRefused: () => undefined };
    await expect(new IndexStore({ allowPrivateAddresses: false, addressGuard: guard }).load({ id: 'strict', baseurl: [url] }, subst)).rejects.toThrow(/repomd\.xml.*self-signed certificate/);
    const l = await new IndexStore({ allowPrivateAddresses: false, addressGuard: guard }).load({ id: 'lax', baseurl: [url], sslverify: false }, subst);
    expect(l.repomd.insecure).toBe(true);
    expect(l.index.packageCount).toBe(craftedMain.packages.length);
    await expect(new IndexStore({ allowPrivateAddresses: false }).load({ id: 'lax', baseurl: [url], sslverify: false }, subst)).rejects.toThrow(/loopback/);
  });

  it('with a proxy, the tunnelled TLS connection skips verification too', async () => {
    const viaTls = await startForwardProxy(() => ({ port: Number(new URL(url).port) }));
    try {
      const store = new IndexStore({ proxyEnv: { https_proxy: viaTls.url } });
      await expect(store.load({ id: 'strict', baseurl: ['https://tls.invalid/'] }, subst)).rejects.toThrow(/repomd\.xml.*self-signed certificate/);
      const l = await store.load({ id: 'lax', baseurl: ['https://tls.invalid/'], sslverify: false }, subst);
      expect(l.index.packageCount).toBe(craftedMain.packages.length);
      expect(viaTls.requests).toContainEqual({ method: 'CONNECT', target: 'tls.invalid:443' });
    } finally {
      await viaTls.close();
    }
  });
});
