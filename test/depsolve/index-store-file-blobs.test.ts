/** Stored indexes in the filesystem BlobStore: read whole in one call, the same index as built, corrupt blobs rebuilt. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

const subst = { arch: 'x86_64', releasever: '40' };
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depsolve-fsblobs-'));
  writeRepo(join(dir, 'repo'), craftedMain);
  server = await serveDirectory(join(dir, 'repo'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const fsBlobs = (root: string) => new FsBlobStore({ root, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('test') });
const primaryRequests = () => server.requests.filter((r) => r.includes('primary')).length;

describe('index store over the filesystem BlobStore', () => {
  it('loads the stored index in a cold store without the primary metadata, byte for byte the one built', async () => {
    const root = join(dir, 'blobs-same');
    const repo = { id: 'main', baseurl: [server.url] };
    const built = (await new IndexStore({ blobStore: fsBlobs(root) }).load(repo, subst)).index;
    const before = primaryRequests();
    const loaded = (await new IndexStore({ blobStore: fsBlobs(root) }).load(repo, subst)).index;
    expect(primaryRequests()).toBe(before);
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(built.serialize()))).toBe(true);
    const p = loaded.packageCount - 1;
    expect([loaded.name(p), loaded.info(p)]).toEqual([built.name(p), built.info(p)]);
    expect(loaded.providersOf(loaded.lookup(built.name(0)))).toContain(0);
  });

  it('rebuilds an index whose stored blob is corrupt', async () => {
    const root = join(dir, 'blobs-corrupt');
    const repo = { id: 'main', baseurl: [server.url] };
    const built = (await new IndexStore({ blobStore: fsBlobs(root) }).load(repo, subst)).index;
    const objects = join(root, 'objects', 'depsolve-index', 'v1');
    const file = readdirSync(objects).find((f) => f.endsWith('.idx'))!;
    writeFileSync(join(objects, file), 'IBSDEPIX garbage');
    const before = primaryRequests();
    const rebuilt = (await new IndexStore({ blobStore: fsBlobs(root) }).load(repo, subst)).index;
    expect(primaryRequests()).toBe(before + 1);
    expect(rebuilt.packageCount).toBe(built.packageCount);
  });
});
