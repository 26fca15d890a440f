/**
 * Solves on one pool share its per-package arrays (solver-scratch.ts): whatever a solve leaves behind (decisions,
 * propagation entries, made rules), even one that ends unsolvable, must not change the next solve's answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo, type GenPackage } from './repo-generator.ts';

const pkg = (name: string, more: Partial<GenPackage> = {}): GenPackage => ({ name, version: '1', release: '1', arch: 'x86_64', ...more });

describe('solves sharing a pool', () => {
  let dir: string;
  let server: StaticServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'depsolve-scratch-'));
    writeRepo(dir, {
      packages: [
        pkg('app', { requires: ['lib'] }),
        pkg('lib-old', { provides: ['lib'], conflicts: ['tool'] }),
        pkg('lib-new', { provides: ['lib'] }),
        pkg('tool', { requires: ['helper'] }),
        pkg('helper'),
        pkg('broken', { requires: ['missing'] }),
      ],
    });
    server = await serveDirectory(dir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (include: string[]) => ({
    architecture: 'x86_64',
    releasever: '41',
    sets: { os: { include, exclude: [], installWeakDeps: true, repositories: [{ id: 'r', baseurl: [server.url] }] } },
  });
  const names = async (solver: RepoDepsolver, include: string[]) => (await solver.resolve(request(include))).os.map((p) => p.name);

  it('give the same answers after other solves, an unsolvable one among them, as a fresh depsolver', async () => {
    const shared = new RepoDepsolver();
    const asks = [['app', 'tool'], ['tool'], ['app'], ['app', 'tool', 'helper']];
    const fresh = await Promise.all(asks.map((a) => names(new RepoDepsolver(), a)));
    await expect(names(shared, ['app', 'broken'])).rejects.toThrow(/nothing provides missing/);
    for (let round = 0; round < 2; round++) {
      for (const [i, a] of asks.entries()) expect(await names(shared, a)).toEqual(fresh[i]);
      await expect(names(shared, ['broken'])).rejects.toThrow(/nothing provides missing/);
    }
  });
});
