import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore, RepoDepsolver, RepoIndex } from '../../layers/src/depsolve/index.ts';
import { MemoryBlobStore, serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo, type GenRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

const subst = { arch: 'x86_64', releasever: '40' };
const hasTool = (t: string) => spawnSync(t, ['--version']).status === 0;
const zstdWritable = hasTool('zstd') || 'zstdCompressSync' in zlib;
/** Compressions the generator can write here (xz needs xz-utils; zstd needs the zstd tool or Node >= 22.15). */
const COMPRESSIONS = (['gz', 'xz', 'zst', 'none'] as const).filter((c) => (c === 'xz' ? hasTool('xz') : c === 'zst' ? zstdWritable : true));
const repo: GenRepo = craftedMain;
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depsolve-md-'));
  for (const c of COMPRESSIONS) {
    mkdirSync(join(dir, c));
    writeRepo(join(dir, c), repo, { compression: c });
  }
  server = await serveDirectory(dir);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('repository metadata', () => {
  for (const c of ['gz', 'xz', 'zst', 'none'] as const) {
    const ok = COMPRESSIONS.includes(c);
    const title = `indexes ${c}-compressed metadata with groups${ok ? '' : ` (skipped: no ${c} compressor here: apt-get install xz-utils zstd)`}`;
    it.skipIf(!ok)(title, async () => {
      const store = new IndexStore();
      const l = await store.load({ id: c, baseurl: [`${server.url}/${c}`] }, subst);
      expect(l.index.packageCount).toBe(repo.packages.length);
      expect(l.index.comps()?.groups.map((g) => g.id)).toEqual(['core', 'web-server']);
      expect(l.index.comps()?.environments[0].groups).toEqual(['core', 'web-server']);
    });
  }

  it('round-trips the index through its binary form', async () => {
    const l = await new IndexStore().load({ id: 'gz', baseurl: [`${server.url}/gz`] }, subst);
    const copy = RepoIndex.deserialize(l.index.serialize());
    expect(copy.packageCount).toBe(l.index.packageCount);
    const id = copy.lookup('webserver');
    expect(Array.from(copy.providersOf(id)).map((p) => copy.fieldStr(p, 0)).sort()).toEqual(['httpd', 'nginx']);
    expect(copy.lookup('no such string')).toBe(-1);
  });

  it('falls back to the next mirror', async () => {
    const store = new IndexStore();
    const l = await store.load({ id: 'm', baseurl: [`${server.url}/nowhere`, `${server.url}/gz`] }, subst);
    expect(l.repomd.base).toBe(`${server.url}/gz`);
  });

  it('reads mirrorlist and metalink (checking repomd.xml against the metalink hash)', async () => {
    const a = COMPRESSIONS.includes('xz') ? 'xz' : 'gz';
    const b = COMPRESSIONS.includes('zst') ? 'zst' : 'none';
    writeFileSync(join(dir, 'mirrorlist.txt'), `# mirrors\n${server.url}/missing\n${server.url}/${a}\n`);
    const repomd = readFileSync(join(dir, b, 'repodata', 'repomd.xml'));
    const sha = createHash('sha256').update(repomd).digest('hex');
    const metalink = (hash: string) => `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files><file name="repomd.xml"><verification><hash type="sha256">${hash}</hash></verification>
  <resources maxconnections="1">
   <url protocol="http" type="http" location="XX" preference="90">${server.url}/gone/repodata/repomd.xml</url>
   <url protocol="http" type="http" location="XX" preference="100">${server.url}/${b}/repodata/repomd.xml</url>
  </resources></file></files></metalink>`;
    writeFileSync(join(dir, 'metalink.xml'), metalink(sha));
    writeFileSync(join(dir, 'badmetalink.xml'), metalink('0'.repeat(64)));
    const store = new IndexStore();
    const ml = await store.load({ id: 'ml', mirrorlist: `${server.url}/mirrorlist.txt` }, subst);
    expect(ml.repomd.base).toBe(`${server.url}/${a}`);
    const mk = await store.load({ id: 'mk', metalink: `${server.url}/metalink.xml` }, subst);
    expect(mk.repomd.base).toBe(`${server.url}/${b}`);
    await expect(store.load({ id: 'bad', metalink: `${server.url}/badmetalink.xml` }, subst)).rejects.toThrow(
      /repository "bad": cannot get a valid repomd.xml .*does not match the metalink checksum/,
    );
  });

  it('names the repository and caches nothing when a checksum does not match', async () => {
    mkdirSync(join(dir, 'corrupt'));
    writeRepo(join(dir, 'corrupt'), repo);
    const rd = join(dir, 'corrupt', 'repodata');
    const primary = readdirSync(rd).find((f) => f.includes('primary'))!;
    const bytes = readFileSync(join(rd, primary));
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(join(rd, primary), bytes);
    const blobs = new MemoryBlobStore();
    const store = new IndexStore({ blobStore: blobs });
    await expect(store.load({ id: 'corrupt', baseurl: [`${server.url}/corrupt`] }, subst)).rejects.toThrow(/repository "corrupt": .*(checksum mismatch|incorrect|invalid)/);
    expect(blobs.objects.size).toBe(0);
  });

  it('reports malformed XML and unreachable repositories by name', async () => {
    mkdirSync(join(dir, 'malformed'));
    const { writeRepodata } = await import('./repo-generator.ts');
    writeRepodata(join(dir, 'malformed'), [{ type: 'primary', data: Buffer.from('<metadata packages="1"><package><name>x</name>'), compression: 'gz' }]);
    const store = new IndexStore();
    await expect(store.load({ id: 'mal', baseurl: [`${server.url}/malformed`] }, subst)).rejects.toThrow(/repository "mal": malformed primary metadata/);
    await expect(store.load({ id: 'gone', baseurl: ['http://127.0.0.1:9/none'] }, subst)).rejects.toThrow(/repository "gone": cannot get a valid repomd.xml/);
  });

  it('stores the index in the BlobStore and reuses it; filelists only when a file dependency needs them', async () => {
    const blobs = new MemoryBlobStore();
    const cfg = { id: 'gz', baseurl: [`${server.url}/gz`] };
    const before = server.requests.length;
    const a = new RepoDepsolver({ blobStore: blobs });
    await a.resolveSet({ include: ['tool-user'], exclude: [], installWeakDeps: true, repositories: [cfg] }, { architecture: 'x86_64', releasever: '40' });
    const first = server.requests.slice(before);
    expect(first.some((r) => r.includes('primary'))).toBe(true);
    expect(first.some((r) => r.includes('filelists'))).toBe(false); // /usr/bin is answered by primary
    expect([...blobs.objects.keys()].filter((k) => k.endsWith('.idx'))).toHaveLength(1);

    const mid = server.requests.length;
    const b = new RepoDepsolver({ blobStore: blobs }); // a cold instance: loads from the BlobStore
    const pkgs = await b.resolveSet({ include: ['data-user'], exclude: [], installWeakDeps: true, repositories: [cfg] }, { architecture: 'x86_64', releasever: '40' });
    expect(pkgs.map((p) => p.name)).toEqual(['data-user', 'toolx']);
    const second = server.requests.slice(mid);
    expect(second.some((r) => r.includes('primary'))).toBe(false);
    expect(second.some((r) => r.includes('filelists'))).toBe(true); // /usr/share/... needs filelists
    expect(pkgs[0].remoteLocation).toBe(`${server.url}/gz/Packages/d/data-user-1.0-1.fc40.x86_64.rpm`);
    expect(pkgs[0].checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('resolves package sets independently, honouring repositories restricted to some sets', async () => {
    const d = new RepoDepsolver();
    const main = { id: 'gz', baseurl: [`${server.url}/gz`] };
    const buildOnly = { id: 'zst', baseurl: [`${server.url}/${COMPRESSIONS.includes('zst') ? 'zst' : 'none'}`], packageSets: ['build'], priority: 10 };
    const res = await d.resolve({
      architecture: 'x86_64',
      releasever: '40',
      sets: {
        build: { include: ['oldapi'], exclude: [], installWeakDeps: false, repositories: [main, buildOnly] },
        os: { include: ['editor', 'oldtool'], exclude: ['editor-langpack'], installWeakDeps: true, repositories: [main, buildOnly] },
      },
    });
    expect(res.build.map((p) => `${p.name}-${p.version}@${p.repoId}`)).toEqual(['oldapi-3.1@zst']);
    expect(res.os.map((p) => p.name)).toEqual(['editor', 'editor-spell', 'newtool']);
    expect(res.os.every((p) => p.repoId === 'gz')).toBe(true);
    await expect(
      d.resolveSet({ include: ['broken'], exclude: [], installWeakDeps: true, repositories: [main] }, { architecture: 'x86_64', releasever: '40' }),
    ).rejects.toThrow('Problem: conflicting requests\n  - nothing provides does-not-exist needed by broken-1.0-1.fc40.x86_64');
  });

  it('searches package names', async () => {
    const d = new RepoDepsolver();
    const res = await d.searchPackages({ repositories: [{ id: 'gz', baseurl: [`${server.url}/gz`] }], architecture: 'x86_64', releasever: '40', search: 'oldapi', limit: 10 });
    expect(res.total).toBe(1);
    expect(res.packages[0]).toMatchObject({ name: 'oldapi', version: '3.1' });
    const glob = await d.searchPackages({ repositories: [{ id: 'gz', baseurl: [`${server.url}/gz`] }], architecture: 'x86_64', releasever: '40', search: 'editor*', limit: 2, offset: 1 });
    expect(glob.total).toBe(6);
    expect(glob.packages.map((p) => p.name)).toEqual(['editor-enh', 'editor-extra']);
  });
});
