/**
 * The package-details source: primary.xml read once per repository revision (concurrent callers share the read), kept
 * in the BlobStore so a fresh process reads no primary.xml again, memory bounded by a byte budget, a new revision
 * rebuilt.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IndexStore } from '../../layers/src/depsolve/index-store.ts';
import { isAvailableFor, PackageDetailsStore } from '../../layers/src/depsolve/package-details-store.ts';
import { parsePackageDetails } from '../../layers/src/depsolve/package-details-parser.ts';
import { FsBlobStore } from '../../layers/src/adapters/embedded/fs-blob-store.ts';
import { writeRepo, type GenPackage } from './repo-generator.ts';

const pkg = (name: string, version = '1.0'): GenPackage => ({ name, version, release: '1', arch: 'x86_64', summary: `${name} summary`, license: 'MIT' });
const subst = { arch: 'x86_64', releasever: '9' };

/** The directory over http on 127.0.0.1, counting primary.xml reads. */
async function serve(dir: string): Promise<{ url: string; primaryReads: () => number; close: () => Promise<void> }> {
  let reads = 0;
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path.includes('-primary.xml')) reads++;
    if (!existsSync(path)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, primaryReads: () => reads, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('PackageDetailsStore', () => {
  it('reads primary.xml once per revision, shares concurrent reads and reuses the stored blob in a new process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-details-'));
    writeRepo(dir, { packages: [pkg('a'), pkg('b'), { ...pkg('c'), arch: 'aarch64' }] });
    const http = await serve(dir);
    const repo = { id: 'r', baseurl: [http.url] };
    const blobStore = new FsBlobStore({ root: mkdtempSync(join(tmpdir(), 'ibs-details-blobs-')), publicBaseUrl: 'http://127.0.0.1:9', signingKey: Buffer.alloc(32) });
    const store = new PackageDetailsStore({ indexStore: new IndexStore(), blobStore });
    const [x, y] = await Promise.all([store.load(repo, subst), store.load(repo, subst)]);
    expect(x).toBe(y);
    expect(http.primaryReads()).toBe(1);
    expect(x.map((p) => [p.name, p.arch, p.url, p.description, p.buildTime, p.license])).toEqual([
      ['a', 'x86_64', 'https://example.invalid/a', 'a summary & more.', 1_700_000_000, 'MIT'],
      ['b', 'x86_64', 'https://example.invalid/b', 'b summary & more.', 1_700_000_000, 'MIT'],
      ['c', 'aarch64', 'https://example.invalid/c', 'c summary & more.', 1_700_000_000, 'MIT'],
    ]);
    expect((await store.listPackages({ repositories: [repo], architecture: 'x86_64', releasever: '9' })).map((p) => p.name)).toEqual(['a', 'b']);

    const restarted = new PackageDetailsStore({ indexStore: new IndexStore(), blobStore });
    expect(await restarted.load(repo, subst)).toEqual(x);
    expect(http.primaryReads()).toBe(1);

    // A new revision of the repository is read again.
    writeRepo(dir, { packages: [pkg('a', '2.0')] });
    const fresh = new PackageDetailsStore({ indexStore: new IndexStore(), blobStore });
    expect((await fresh.load(repo, subst)).map((p) => p.version)).toEqual(['2.0']);
    expect(http.primaryReads()).toBe(2);
    await http.close();
  });

  it('keeps memory within its byte budget (the newest revision stays)', async () => {
    const repos = ['one', 'two', 'three'].map((id) => {
      const dir = mkdtempSync(join(tmpdir(), `ibs-details-${id}-`));
      writeRepo(dir, { packages: Array.from({ length: 50 }, (_, i) => pkg(`${id}-${i}`)) });
      return { id, baseurl: [pathToFileURL(dir).href] };
    });
    const store = new PackageDetailsStore({ indexStore: new IndexStore({ fileUrls: true }), fileUrls: true, memoryBytes: 10_000 });
    for (const r of repos) await store.load(r, subst);
    expect(store.memoryUsage.entries).toBe(1);
    expect(store.memoryUsage.bytes).toBeGreaterThan(0);
  });

  it('refuses file:// repositories unless allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-details-nofile-'));
    writeRepo(dir, { packages: [pkg('a')] });
    const store = new PackageDetailsStore({ indexStore: { repomd: (r, s) => new IndexStore({ fileUrls: true }).repomd(r, s) } });
    await expect(store.load({ id: 'r', baseurl: [pathToFileURL(dir).href] }, subst)).rejects.toThrow(/file:\/\/ URLs are not allowed/);
  });

  it('parses entities, CDATA-free texts and only the package-level elements', async () => {
    const xml = `<metadata><package type="rpm"><name>n</name><arch>noarch</arch><version epoch="3" ver="1" rel="2"/><summary>s &lt;x&gt;</summary><description>d</description><url>u</url><time file="5" build="7"/><format><rpm:license>L</rpm:license><rpm:provides><rpm:entry name="n" epoch="9" ver="9" rel="9"/></rpm:provides></format></package></metadata>`;
    async function* chunks() {
      yield Buffer.from(xml.slice(0, 40));
      yield Buffer.from(xml.slice(40));
    }
    expect(await parsePackageDetails(chunks())).toEqual([{ name: 'n', epoch: 3, version: '1', release: '2', arch: 'noarch', summary: 's <x>', description: 'd', url: 'u', buildTime: 7, license: 'L' }]);
    expect([isAvailableFor('i686', 'x86_64'), isAvailableFor('x86_64', 'aarch64'), isAvailableFor('src', 'x86_64'), isAvailableFor('noarch', 's390x')]).toEqual([true, false, false, true]);
  });
});
