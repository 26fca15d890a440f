import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { decompress } from '../../layers/src/depsolve/decompress.ts';
import { capBytes, LimitError } from '../../layers/src/depsolve/metadata-limits.ts';
import { RepositoryError } from '../../layers/src/depsolve/repo-metadata.ts';
import { MemoryBlobStore, serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

const subst = { arch: 'x86_64', releasever: '40' };
let dir: string;
let server: StaticServer;
const repo = (name: string) => ({ id: name, baseurl: [`${server.url}/${name}`] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depsolve-bounds-'));
  // Three revisions of the same packages (different repomd.xml): indexes of about the same size.
  for (const [name, opts] of [['a', { compression: 'gz' }], ['b', { compression: 'none' }], ['c', { compression: 'gz', filelists: false }]] as const) {
    mkdirSync(join(dir, name));
    writeRepo(join(dir, name), craftedMain, opts);
  }
  server = await serveDirectory(dir);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const primaryDownloads = (from: number, name: string) => server.requests.slice(from).filter((r) => r.startsWith(`/${name}/`) && r.includes('primary')).length;

describe('index store bounds', () => {
  it('bounds the in-memory index cache by bytes, evicting the least recently used', async () => {
    const one = (await new IndexStore().load(repo('a'), subst)).index.byteSize;
    expect(one).toBeGreaterThan(1000);
    const store = new IndexStore({ memoryBytes: Math.floor(one * 2.5), metadataExpire: 3600 });
    await store.load(repo('a'), subst);
    await store.load(repo('b'), subst);
    expect(store.memoryUsage.entries).toBe(2);
    await store.load(repo('a'), subst); // a is now the most recently used; b is next out
    await store.load(repo('c'), subst);
    expect(store.memoryUsage.entries).toBe(2);
    expect(store.memoryUsage.bytes).toBeLessThanOrEqual(one * 2.5);
    const before = server.requests.length;
    await store.load(repo('a'), subst);
    await store.load(repo('c'), subst);
    expect(primaryDownloads(before, 'a') + primaryDownloads(before, 'c')).toBe(0); // still in memory
    await store.load(repo('b'), subst);
    expect(primaryDownloads(before, 'b')).toBe(1); // evicted by size, built again
    // A budget below one index still keeps the newest one (the caller holds it anyway).
    const tiny = new IndexStore({ memoryBytes: 1 });
    await tiny.load(repo('a'), subst);
    await tiny.load(repo('b'), subst);
    expect(tiny.memoryUsage.entries).toBe(1);
  });

  it('refuses metadata over its size caps with a RepositoryError naming the repository and the cap, and stores nothing', async () => {
    const cases: [Partial<ConstructorParameters<typeof IndexStore>[0] & object>['metadataLimits'], RegExp][] = [
      [{ documentBytes: 100 }, /repository "a": .*repomd\.xml is larger than the size limit of 100 bytes/],
      [{ compressedBytes: 200 }, /repository "a": .*primary\.xml\.gz is larger than the compressed size limit of 200 bytes/],
      [{ primaryBytes: 300 }, /repository "a": .*primary\.xml\.gz is larger than the decompressed size limit of 300 bytes/],
      [{ groupBytes: 50 }, /repository "a": .*comps.* is larger than the decompressed size limit of 50 bytes/],
    ];
    for (const [metadataLimits, message] of cases) {
      const blobs = new MemoryBlobStore();
      const err = await new IndexStore({ blobStore: blobs, metadataLimits }).load(repo('a'), subst).catch((e) => e);
      expect(err, JSON.stringify(metadataLimits)).toBeInstanceOf(RepositoryError);
      expect(err.message).toMatch(message);
      expect(blobs.objects.size).toBe(0);
    }
    const files = new IndexStore({ metadataLimits: { filelistsBytes: 100 } });
    const loaded = await files.load(repo('a'), subst);
    await expect(files.loadFiles(loaded)).rejects.toThrow(/repository "a": .*filelists\.xml\.gz is larger than the decompressed size limit of 100 bytes/);
  });

  it('stores the indexes of user repositories under their own prefix, the distributions\' where they were', async () => {
    const blobs = new MemoryBlobStore();
    const distro = repo('a');
    const opts = { blobStore: blobs, distributionRepositories: [{ id: 'fedora', baseurl: distro.baseurl }] };
    const store = new IndexStore(opts);
    const d = await store.load(distro, subst);
    const u = await store.load(repo('b'), subst);
    await store.loadFiles(u);
    const keys = [...blobs.objects.keys()].sort();
    // Each repository's last repomd.xml check is recorded beside its indexes (repomd-record.ts).
    const record = /^repomd\/[0-9a-f]{64}\.json$/;
    expect(keys.filter((k) => !k.includes('/repomd/'))).toEqual([
      `depsolve-index/user/v1/${u.repomd.revision}.files.idx`,
      `depsolve-index/user/v1/${u.repomd.revision}.idx`,
      `depsolve-index/v1/${d.repomd.revision}.idx`,
    ]);
    const records = keys.filter((k) => k.includes('/repomd/'));
    expect(records).toHaveLength(2);
    expect(records.filter((k) => k.startsWith('depsolve-index/user/v1/') && record.test(k.slice('depsolve-index/user/v1/'.length)))).toHaveLength(1);
    expect(records.filter((k) => k.startsWith('depsolve-index/v1/') && record.test(k.slice('depsolve-index/v1/'.length)))).toHaveLength(1);
    // A cold instance (another function) finds both where they were stored.
    const before = server.requests.length;
    const cold = new IndexStore(opts);
    await cold.load(distro, subst);
    await cold.load(repo('b'), subst);
    expect(primaryDownloads(before, 'a') + primaryDownloads(before, 'b')).toBe(0);
    expect((await cold.refresh(distro, subst)).built).toBe(false);
  });

  it('stops a zstd decompression bomb at the cap instead of inflating it (10,000 RLE blocks: 40 KB → 1.25 GiB)', async () => {
    // A zstd frame: magic, header (no content size, 128 KiB window), then RLE blocks of 128 KiB of one byte each.
    const blocks = 10_000;
    const frame = Buffer.alloc(6 + blocks * 4);
    frame.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
    for (let i = 0; i < blocks; i++) {
      const header = (131072 << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
      frame.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x61], 6 + i * 4);
    }
    const cap = 1024 * 1024;
    const limit = { bytes: cap, error: () => new LimitError('bomb.zst', cap, 'decompressed') };
    const before = process.memoryUsage().arrayBuffers;
    let total = 0;
    const read = async () => {
      for await (const c of capBytes(decompress((async function* () { yield frame; })(), 'zst', limit), cap, 'bomb.zst')) total += c.length;
    };
    await expect(read()).rejects.toThrow(/bomb\.zst is larger than the decompressed size limit of 1 MiB/);
    expect(total).toBeLessThanOrEqual(cap);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
