/**
 * The depsolve bench's index build in a process of its own, bundled with the Lambdas' esbuild settings as the other
 * depsolver processes are (as it ships: no tsx loader in the measured process): IndexStore.refresh of the repository at
 * DEPSOLVE_BENCH_URL (repomd.xml, primary.xml.gz downloaded, checked, gunzipped, parsed; comps; the index stored in the
 * BlobStore at DEPSOLVE_BENCH_BLOBS). Prints one JSON line: wall and CPU time, packages, peak RSS.
 */
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore } from '../layers/src/depsolve/index.ts';

const blobStore = new FsBlobStore({ root: process.env.DEPSOLVE_BENCH_BLOBS!, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('bench') });
const store = new IndexStore({ blobStore });
const t0 = performance.now();
const r = await store.refresh({ id: 'fedora', baseurl: [process.env.DEPSOLVE_BENCH_URL!] }, { arch: 'x86_64', releasever: '41' });
const ms = performance.now() - t0;
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, packages: r.packages, peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
