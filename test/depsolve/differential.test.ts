/**
 * Differential tests: the same requests on the same repositories (served over http://127.0.0.1) resolved by dnf's
 * Python API and by our depsolver must give identical package sets, and fail together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { compareOutcomes, craftedTasks, diffAgainstDnf, resolveOurs } from './compare.ts';
import { dnfTitle, hasDnf, runDnfOracle, serveDirectory, type OracleTask, type StaticServer } from './helpers.ts';
import { randomRepo, writeRepo } from './repo-generator.ts';
import { craftedMain, craftedMainExtra, craftedRequests, craftedUpdates } from './scenarios.ts';

const dnfPresent = hasDnf();
const xzOk = spawnSync('xz', ['--version']).status === 0;
const zstdOk = spawnSync('zstd', ['--version']).status === 0 || 'zstdCompressSync' in zlib;
const RANDOM_REPOS = Number(process.env.DEPSOLVE_RANDOM_REPOS ?? 200);
/**
 * Requests where our package set is known to differ from dnf's (documented in docs/depsolver.md). Empty today; the test
 * fails when a listed one starts to match, so the list cannot go stale.
 */
const KNOWN_DIVERGENT = new Set<string>([]);

describe.skipIf(!dnfPresent)(dnfTitle('depsolver matches dnf'), () => {
  let dir: string;
  let server: StaticServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'depsolve-diff-'));
    server = await serveDirectory(dir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crafted scenarios', async () => {
    mkdirSync(join(dir, 'main'));
    mkdirSync(join(dir, 'updates'));
    writeRepo(join(dir, 'main'), { ...craftedMain, packages: [...craftedMain.packages, ...craftedMainExtra] });
    writeRepo(join(dir, 'updates'), craftedUpdates, { compression: zstdOk ? 'zst' : 'gz' });
    const diffs = await diffAgainstDnf(craftedTasks(craftedRequests, server.url));
    expect(diffs).toEqual([]);
  }, 120_000);

  it(`${RANDOM_REPOS} randomized repositories`, async () => {
    const tasks: OracleTask[] = [];
    for (let seed = 1; seed <= RANDOM_REPOS; seed++) {
      const repo = randomRepo(seed);
      const rd = join(dir, `r${seed}`);
      mkdirSync(rd, { recursive: true });
      // A few zstd and xz repositories where the tools exist (the metadata tests cover them on their own).
      const c = seed % 10 === 0 && zstdOk ? 'zst' : seed % 10 === 5 && xzOk ? 'xz' : 'gz';
      writeRepo(rd, repo, { compression: c });
      repo.requests.forEach((include, k) => {
        tasks.push({
          id: `seed${seed}-${k}`,
          repos: [{ id: `r${seed}`, baseurl: `${server.url}/r${seed}` }],
          arch: 'x86_64',
          releasever: '40',
          include,
          weak: k !== 1,
        });
      });
    }
    const dnf = await runDnfOracle(tasks, 2);
    const solver = new RepoDepsolver();
    const diffs: string[] = [];
    let solved = 0;
    const nowMatching: string[] = [];
    for (const t of tasks) {
      const ours = await resolveOurs(solver, t);
      if (ours.ok) solved++;
      const d = compareOutcomes(t, ours, dnf.get(t.id)!);
      if (KNOWN_DIVERGENT.has(t.id)) {
        if (!d) nowMatching.push(t.id);
      } else if (d) diffs.push(d);
    }
    expect(diffs).toEqual([]);
    expect(nowMatching, 'known divergences that now match dnf: remove them from KNOWN_DIVERGENT').toEqual([]);
    // The generator must keep most requests solvable, or the comparison says little.
    expect(solved).toBeGreaterThan(tasks.length / 2);
  }, 300_000);
});
