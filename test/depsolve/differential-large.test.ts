/**
 * Differential test on a Fedora-shaped repository (test/depsolve/fedora-repo.ts): the bench's request shapes — a
 * server set, a desktop environment of many groups with a large closure, and the manifest worker's build root and OS
 * sets resolved one after the other on the same depsolver (shared pool) — must give dnf's package sets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffAgainstDnf, resolveOurs } from './compare.ts';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { fedoraShapedPackages, REQUESTS } from './fedora-repo.ts';
import { dnfTitle, hasDnf, serveDirectory, type OracleTask, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';

const PACKAGES = Number(process.env.DEPSOLVE_LARGE_PACKAGES ?? 12_000);

describe.skipIf(!hasDnf())(dnfTitle(`depsolver matches dnf on a ${PACKAGES}-package Fedora-shaped repository`), () => {
  let dir: string;
  let server: StaticServer;
  const tasks: OracleTask[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'depsolve-large-'));
    writeRepo(dir, fedoraShapedPackages(PACKAGES));
    server = await serveDirectory(dir);
    for (const [shape, sets] of Object.entries(REQUESTS)) {
      for (const [set, include] of Object.entries(sets)) {
        const task = { repos: [{ id: 'fedora', baseurl: server.url }], arch: 'x86_64', releasever: '41', include };
        tasks.push({ ...task, id: `${shape}-${set}`, weak: true });
        if (shape === 'desktop') tasks.push({ ...task, id: `${shape}-${set}-noweak`, weak: false });
      }
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('server, desktop (large closure, weak deps on and off) and the two-set request give dnf identical sets', async () => {
    expect(await diffAgainstDnf(tasks)).toEqual([]);
    // The desktop shape must stay a large closure, or the comparison says little about one.
    const desktop = await resolveOurs(new RepoDepsolver(), tasks.find((t) => t.id === 'desktop-os')!);
    expect(desktop.packages!.length).toBeGreaterThan(1000);
  }, 300_000);
});
