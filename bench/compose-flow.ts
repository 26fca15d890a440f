/**
 * Compose request → manifest stored, in the local stack (API over HTTP, manifest worker, SQLite, filesystem).
 * Reference in the same run: a GET /version round trip through the same gateway and handler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack.ts';
import { createLogger } from '../layers/src/log/logger.ts';
import { percentiles } from './stats.ts';

export async function run() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-bench-flow-'));
  const stack = await startLocalStack({ dataDir, port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
  const api = `${stack.url}/api/image-builder/v1`;
  const auth = { authorization: `Bearer ${await stack.mintToken('local')}` };
  const request = JSON.stringify({
    distribution: 'test-distro-1',
    image_requests: [{ architecture: 'x86_64', image_type: 'tar' }],
    customizations: { hostname: 'bench', files: [{ path: '/etc/motd', data: 'hello\n' }] },
  });
  try {
    const version: number[] = [];
    const accept: number[] = [];
    const toManifest: number[] = [];
    for (let i = 0; i < 200; i++) {
      let t = performance.now();
      await (await fetch(`${api}/version`)).arrayBuffer();
      version.push(performance.now() - t);
      t = performance.now();
      const response = await fetch(`${api}/compose`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: request });
      const { id } = (await response.json()) as { id: string };
      accept.push(performance.now() - t);
      for (;;) {
        const compose = await stack.deps.store.get('local', id);
        if (compose?.manifestKey) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      toManifest.push(performance.now() - t);
    }
    const v = percentiles(version);
    const a = percentiles(accept);
    const m = percentiles(toManifest);
    return {
      samples: 200,
      getVersionMs: v,
      postComposeMs: a,
      composeToManifestStoredMs: m,
      postComposeVsGetVersionP50: +(a.p50 / v.p50).toFixed(2),
      note: 'composeToManifestStored: POST, manifest worker pick-up (in-process wake-up), generation, blob write, build job, state change',
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
