/**
 * The depsolver as a one-shot process, bundled by the bench with esbuild as the Lambda ships it: the stored index read
 * from the BlobStore (repomd.xml re-checked), the sets of one request shape resolved, one JSON line printed.
 */
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore, RepoDepsolver } from '../layers/src/depsolve/index.ts';

const sets = JSON.parse(process.env.DEPSOLVE_BENCH_SETS!) as Record<string, string[]>;
const blobStore = new FsBlobStore({ root: process.env.DEPSOLVE_BENCH_BLOBS!, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('bench') });
const repo = { id: 'fedora', baseurl: [process.env.DEPSOLVE_BENCH_URL!] };
const out = await new RepoDepsolver({ store: new IndexStore({ blobStore }) }).resolve({
  architecture: 'x86_64',
  releasever: '41',
  sets: Object.fromEntries(Object.entries(sets).map(([k, include]) => [k, { include, exclude: [], installWeakDeps: true, repositories: [repo] }])),
});
process.stdout.write(`${JSON.stringify({ closure: Object.values(out).reduce((n, s) => n + s.length, 0), peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
