/**
 * A rich dependency that does not parse: a new index drops it as libsolv does; an index stored before that rule (format
 * 6) is rebuilt on its next load; one that still held such a dependency fails a resolution touching it as a depsolve
 * error naming it (not an internal error).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepsolveError } from '../../layers/src/depsolve/depsolve-error.ts';
import { IndexStore, RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { RepoIndexBuilder } from '../../layers/src/depsolve/repo-index-builder.ts';
import { DEP_RICH, KIND } from '../../layers/src/depsolve/repo-index.ts';
import { MemoryBlobStore, serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';

const subst = { arch: 'x86_64', releasever: '41' };
const BROKEN = '(zlib or)';
let dir: string;
let server: StaticServer;
const repo = () => ({ id: 'main', baseurl: [server.url] });
const request = (include: string[]) => ({ include, exclude: [], installWeakDeps: true, repositories: [repo()] });
const pkg = (name: string, requires: string[] = []) => ({ name, version: '1.0', release: '1', arch: 'x86_64', requires });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stored-rich-'));
  writeRepo(dir, { packages: [pkg('app', [BROKEN, 'zlib-ng']), pkg('zlib'), pkg('zlib-ng')] });
  server = await serveDirectory(dir);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a rich dependency that does not parse', () => {
  it('is dropped from a new index, as libsolv does', async () => {
    const out = await new RepoDepsolver({ store: new IndexStore({ blobStore: new MemoryBlobStore() }) }).resolveSet(request(['app']), { architecture: 'x86_64', releasever: '41' });
    expect(out.map((p) => p.name)).toEqual(['app', 'zlib-ng']);
  });

  it('in an index that holds it, fails the resolution as a depsolve error naming it; a format-6 index is rebuilt', async () => {
    const blobs = new MemoryBlobStore();
    const built = await new IndexStore({ blobStore: blobs }).load(repo(), subst);
    // The same revision's index as an earlier build stored it: the dependency kept as rich.
    const b = new RepoIndexBuilder();
    for (const name of ['app', 'zlib', 'zlib-ng']) {
      const p = built.index.packageCount;
      const id = [...Array(p).keys()].find((i) => built.index.name(i) === name)!;
      b.beginPackage({ ...built.index.evr(id), name, arch: 'x86_64', ...built.index.info(id) });
      b.addDeps(KIND.provides, [{ name, flags: 0 }]);
      if (name === 'app') b.addDeps(KIND.requires, [{ name: BROKEN, flags: DEP_RICH }, { name: 'zlib-ng', flags: 0 }]);
      b.endPackage();
    }
    const key = [...blobs.objects.keys()].find((k) => k.endsWith('.idx'))!;
    const stored = Buffer.from(b.finish(built.index.meta).serialize());
    blobs.objects.set(key, Buffer.from(stored));
    const solver = new RepoDepsolver({ store: new IndexStore({ blobStore: blobs }) });
    const error = await solver.resolveSet(request(['app']), { architecture: 'x86_64', releasever: '41' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DepsolveError);
    expect((error as Error).message).toMatch(/does not parse: .*\(zlib or\)/);
    // Packages that do not reach it still resolve.
    expect((await solver.resolveSet(request(['zlib']), { architecture: 'x86_64', releasever: '41' })).map((p) => p.name)).toEqual(['zlib']);
    // The same blob as the format before the rule (6) wrote it: not read, rebuilt from the repository and stored again.
    const old = Buffer.from(stored);
    old.writeUInt32LE(6, 8);
    blobs.objects.set(key, old);
    const rebuilt = await new RepoDepsolver({ store: new IndexStore({ blobStore: blobs }) }).resolveSet(request(['app']), { architecture: 'x86_64', releasever: '41' });
    expect(rebuilt.map((p) => p.name)).toEqual(['app', 'zlib-ng']);
    expect(Buffer.from(blobs.objects.get(key)!).readUInt32LE(8)).toBe(7);
  });
});
