/**
 * Focused profile of the index build from primary.xml (for `node --cpu-prof` / `--heap-prof`): the bench's repository
 * (generated once into DEPSOLVE_PROFILE_DIR), built into a fresh BlobStore directory, with time, CPU and peak RSS.
 *   node --import tsx bench/depsolve-build-profile.ts
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/depsolve-build-profile.ts
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore } from '../layers/src/depsolve/index.ts';
import { serveDirectory } from '../test/depsolve/helpers.ts';
import { writeFedoraRepo } from './depsolve-repo.ts';

const dir = process.env.DEPSOLVE_PROFILE_DIR ?? '/tmp/depsolve-profile';
if (!existsSync(join(dir, 'repo', 'repodata', 'repomd.xml'))) {
  mkdirSync(dir, { recursive: true });
  await writeFedoraRepo(join(dir, 'repo'));
}
const server = await serveDirectory(join(dir, 'repo'));
const blobs = mkdtempSync(join(dir, 'build-blobs-'));
try {
  const store = new IndexStore({ blobStore: new FsBlobStore({ root: blobs, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('bench') }) });
  const t0 = performance.now();
  const r = await store.refresh({ id: 'fedora', baseurl: [server.url] }, { arch: 'x86_64', releasever: '41' });
  const cpu = process.cpuUsage();
  const out = { ms: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000), packages: r.packages, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await server.close();
  rmSync(blobs, { recursive: true, force: true });
}
