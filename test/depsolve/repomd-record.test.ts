/**
 * The last repomd.xml check in the BlobStore: a new process (another IndexStore on the same store: a cold Lambda, the
 * next `npm start`) within metadataExpire reads the stored index without asking the repository, as dnf with its
 * metadata cache; an expired, foreign, unreadable or future-dated record sends it back to the repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { writeRepomdRecord } from '../../layers/src/depsolve/repomd-record.ts';
import { MemoryBlobStore, serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain, craftedUpdates } from './scenarios.ts';

const subst = { arch: 'x86_64', releasever: '40' };
let dir: string;
let server: StaticServer;
const repo = () => ({ id: 'fedora', baseurl: [server.url] });
const repomdFetches = (from: number) => server.requests.slice(from).filter((r) => r.endsWith('/repomd.xml')).length;
const recordKeys = (blobs: MemoryBlobStore) => [...blobs.objects.keys()].filter((k) => k.includes('/repomd/'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'repomd-record-'));
  writeRepo(dir, craftedMain);
  server = await serveDirectory(dir);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('repomd.xml check record', () => {
  it('lets a new process within metadataExpire load the stored index without any request, then checks once it expired', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    const first = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    expect(recordKeys(blobs)).toHaveLength(1);

    const before = server.requests.length;
    const cold = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    expect(server.requests.length).toBe(before); // not even repomd.xml
    expect(cold.repomd.revision).toBe(first.repomd.revision);
    expect(cold.index.packageCount).toBe(first.index.packageCount);

    // The repository changes: within metadataExpire a new process keeps the checked revision (as dnf does)...
    writeRepo(dir, craftedUpdates, { compression: 'none' });
    expect((await new IndexStore({ blobStore: blobs }).load(repo(), subst)).repomd.revision).toBe(first.repomd.revision);
    // ...and one whose metadataExpire has run out since that check asks the repository and gets the new revision.
    const expired = await new IndexStore({ blobStore: blobs, metadataExpire: 0 }).load(repo(), subst);
    expect(repomdFetches(before)).toBe(1);
    expect(expired.repomd.revision).not.toBe(first.repomd.revision);
    expect(expired.index.packageCount).not.toBe(first.index.packageCount);
    // That check replaced the record: the next new process takes the new revision without a request.
    const after = server.requests.length;
    expect((await new IndexStore({ blobStore: blobs }).load(repo(), subst)).repomd.revision).toBe(expired.repomd.revision);
    expect(server.requests.length).toBe(after);
  });

  it('records a check made by repomd() once load() has the index, and nothing before', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    const store = new IndexStore({ blobStore: blobs });
    await store.repomd(repo(), subst);
    expect(recordKeys(blobs)).toHaveLength(0);
    await store.load(repo(), subst);
    expect(recordKeys(blobs)).toHaveLength(1);
    const before = server.requests.length;
    await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    expect(server.requests.length).toBe(before);
  });

  it('refresh() asks the repository whatever the record says, and records its check', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    const first = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    writeRepo(dir, craftedUpdates, { compression: 'none' });
    const before = server.requests.length;
    const refreshed = await new IndexStore({ blobStore: blobs }).refresh(repo(), subst);
    expect(repomdFetches(before)).toBe(1);
    expect(refreshed.built).toBe(true);
    expect(refreshed.revision).not.toBe(first.repomd.revision);
    const after = server.requests.length;
    expect((await new IndexStore({ blobStore: blobs }).load(repo(), subst)).repomd.revision).toBe(refreshed.revision);
    expect(server.requests.length).toBe(after);
  });

  it('asks the repository when the record is unreadable, belongs to another repository or is dated in the future', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    const [key] = recordKeys(blobs);
    const good = JSON.parse(blobs.objects.get(key)!.toString('utf8')) as { key: string; at: number };
    const variants = {
      unreadable: Buffer.from('{"key":'),
      foreign: Buffer.from(JSON.stringify({ ...good, key: good.key.replace('fedora', 'other') })),
      future: Buffer.from(JSON.stringify({ ...good, at: Date.now() + 3_600_000 })),
      'without a revision': Buffer.from(JSON.stringify({ ...good, repomd: {} })),
      'mirrors not a list': Buffer.from(JSON.stringify({ ...good, repomd: { ...(good as unknown as { repomd: object }).repomd, mirrors: 'http://x' } })),
      'without primary metadata': Buffer.from(JSON.stringify({ ...good, repomd: { ...(good as unknown as { repomd: { repomd: object } }).repomd, repomd: { records: {} } } })),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      blobs.objects.set(key, bytes);
      const before = server.requests.length;
      await new IndexStore({ blobStore: blobs }).load(repo(), subst);
      expect(repomdFetches(before), name).toBe(1);
      // The check was recorded again, readable.
      expect(JSON.parse(blobs.objects.get(key)!.toString('utf8')).key, name).toBe(good.key);
    }
  });

  it('keeps a newer check already recorded (another process checked while this one built its index)', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    const loaded = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    const [key] = recordKeys(blobs);
    const newer = blobs.objects.get(key)!.toString('utf8');
    const { key: repoKey, at } = JSON.parse(newer) as { key: string; at: number };
    await writeRepomdRecord(blobs, key, repoKey, at - 10_000, { ...loaded.repomd, revision: 'older' });
    expect(blobs.objects.get(key)!.toString('utf8')).toBe(newer);
    await writeRepomdRecord(blobs, key, repoKey, at + 1, { ...loaded.repomd, revision: 'newer' });
    expect(JSON.parse(blobs.objects.get(key)!.toString('utf8')).repomd.revision).toBe('newer');
  });

  it('asks the repository again when the recorded revision has no stored index and its repodata is gone from the mirror', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    const first = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    for (const k of [...blobs.objects.keys()]) if (k.endsWith('.idx')) blobs.objects.delete(k);
    writeRepo(dir, craftedUpdates, { compression: 'none' }); // replaces repodata/: the recorded primary.xml is gone
    const before = server.requests.length;
    const loaded = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    expect(repomdFetches(before)).toBe(1);
    expect(loaded.repomd.revision).not.toBe(first.repomd.revision);
    expect(loaded.index.packageCount).toBe(craftedUpdates.packages.length);
    expect(JSON.parse(blobs.objects.get(recordKeys(blobs)[0])!.toString('utf8')).repomd.revision).toBe(loaded.repomd.revision);
  });

  it('reads no record with metadataExpire 0 (every check goes to the repository)', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    const gets: string[] = [];
    const get = blobs.get.bind(blobs);
    blobs.get = (k: string) => (gets.push(k), get(k));
    const before = server.requests.length;
    await new IndexStore({ blobStore: blobs, metadataExpire: 0 }).load(repo(), subst);
    expect(repomdFetches(before)).toBe(1);
    // The index is the first read; the record is read once, by the write that checks for a newer record.
    expect(gets[0]).toMatch(/\.idx$/);
    expect(gets.filter((k) => k.includes('/repomd/'))).toHaveLength(1);
  });

  it('is kept per repository settings: another substitution or TLS setting is another record', async () => {
    writeRepo(dir, craftedMain);
    const blobs = new MemoryBlobStore();
    await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    const before = server.requests.length;
    await new IndexStore({ blobStore: blobs }).load({ ...repo(), sslverify: false }, subst);
    await new IndexStore({ blobStore: blobs }).load(repo(), { ...subst, releasever: '41' });
    expect(repomdFetches(before)).toBe(2);
    expect(recordKeys(blobs)).toHaveLength(3);
  });
});
