/**
 * Focused depsolver profile (for `node --cpu-prof`): the bench's Fedora-shaped repository, generated and indexed once
 * into DEPSOLVE_PROFILE_DIR, then warm resolutions of each request shape, timed. Kept apart from the full bench so a
 * profile shows the solver and nothing else.
 *   node --import tsx bench/depsolve-profile.ts            # timings
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/depsolve-profile.ts
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore, RepoDepsolver } from '../layers/src/depsolve/index.ts';
import { serveDirectory } from '../test/depsolve/helpers.ts';
import { REQUESTS, writeFedoraRepo } from './depsolve-repo.ts';

const dir = process.env.DEPSOLVE_PROFILE_DIR ?? '/tmp/depsolve-profile';
const rounds = Number(process.env.DEPSOLVE_PROFILE_ROUNDS ?? 40);
const only = process.env.DEPSOLVE_PROFILE_SHAPE;
if (!existsSync(join(dir, 'repo', 'repodata', 'repomd.xml'))) {
  mkdirSync(dir, { recursive: true });
  await writeFedoraRepo(join(dir, 'repo'));
}
const server = await serveDirectory(join(dir, 'repo'));
try {
  const blobStore = new FsBlobStore({ root: join(dir, 'blobs'), publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('bench') });
  const store = new IndexStore({ blobStore });
  const repo = { id: 'fedora', baseurl: [server.url] };
  const t0 = performance.now();
  await store.load(repo, { arch: 'x86_64', releasever: '41' });
  process.stdout.write(`index load ${(performance.now() - t0).toFixed(0)} ms\n`);
  const solver = new RepoDepsolver({ store });
  const opts = { architecture: 'x86_64', releasever: '41' };
  for (const [shape, sets] of Object.entries(REQUESTS)) {
    if (only && shape !== only) continue;
    const times: number[] = [];
    const cpu: number[] = [];
    let closure = 0;
    for (let i = 0; i < rounds; i++) {
      const c = process.cpuUsage();
      const a = performance.now();
      const out = await solver.resolve({ ...opts, sets: Object.fromEntries(Object.entries(sets).map(([k, include]) => [k, { include, exclude: [], installWeakDeps: true, repositories: [repo] }])) });
      times.push(performance.now() - a);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      closure = Object.values(out).reduce((n, s) => n + s.length, 0);
    }
    const median = (xs: number[]) => xs.slice(rounds >> 1).sort((x, y) => x - y)[(rounds - (rounds >> 1)) >> 1];
    process.stdout.write(`${shape}: first ${times[0].toFixed(1)} ms, warm median ${median(times).toFixed(2)} ms, min ${Math.min(...times).toFixed(2)} ms (CPU median ${median(cpu).toFixed(2)} ms), closure ${closure}\n`);
  }
} finally {
  await server.close();
}
