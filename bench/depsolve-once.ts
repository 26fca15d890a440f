/**
 * The depsolver as the bench runs it in a process of its own, bundled with the Lambdas' esbuild settings (as it ships):
 * - once: the stored index read from the BlobStore (repomd.xml taken from the record of the last check while it is
 *   within metadataExpire, else fetched again), the sets of DEPSOLVE_BENCH_SETS resolved, the whole answer printed;
 * - warm: repomd.xml checked (its record read), then the index loaded (each timed), every request shape of DEPSOLVE_BENCH_SHAPES resolved
 *   DEPSOLVE_BENCH_ROUNDS times to warm up, then as many timed rounds of each (median).
 * Prints one JSON line.
 */
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { IndexStore, RepoDepsolver } from '../layers/src/depsolve/index.ts';

type Sets = Record<string, string[]>;
const blobStore = new FsBlobStore({ root: process.env.DEPSOLVE_BENCH_BLOBS!, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.from('bench') });
const repo = { id: 'fedora', baseurl: [process.env.DEPSOLVE_BENCH_URL!] };
// As the Lambdas wire it (functions/aws/config.ts: the guarded node:http transport), the bench's 127.0.0.1 server allowed.
// DEPSOLVE_BENCH_METADATA_EXPIRE=0: a process after metadataExpire, which asks the repository for repomd.xml again.
const metadataExpire = process.env.DEPSOLVE_BENCH_METADATA_EXPIRE ? Number(process.env.DEPSOLVE_BENCH_METADATA_EXPIRE) : undefined;
const store = new IndexStore({ blobStore, allowPrivateAddresses: false, addressGuard: { isRefused: () => undefined }, metadataExpire });
const solver = new RepoDepsolver({ store });
const request = (sets: Sets) => ({
  architecture: 'x86_64',
  releasever: '41',
  sets: Object.fromEntries(Object.entries(sets).map(([k, include]) => [k, { include, exclude: [], installWeakDeps: true, repositories: [repo] }])),
});
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// No top-level await: the bench also runs this module as CommonJS with a V8 code cache (functions/aws/code-cache.ts).
void (process.env.DEPSOLVE_BENCH_CHILD === 'warm' ? warm() : once());

async function warm(): Promise<void> {
  const rounds = Number(process.env.DEPSOLVE_BENCH_ROUNDS ?? 30);
  // The repomd.xml check (the process's first fetch: HTTP client start-up, one GET) is timed apart: libsolv's .solv
  // load has none. The index load is then the blob read and the views, as libsolv's add_solv + createwhatprovides.
  const t0 = performance.now();
  await store.repomd(repo, { arch: 'x86_64', releasever: '41' });
  const t1 = performance.now();
  await store.load(repo, { arch: 'x86_64', releasever: '41' });
  const indexLoadMs = performance.now() - t1;
  const repomdCheckMs = t1 - t0;
  const shapes: Record<string, { firstSolveMs: number; warmSolveMs: number; sets: Record<string, string[]> }> = {};
  const all = Object.entries(JSON.parse(process.env.DEPSOLVE_BENCH_SHAPES!) as Record<string, Sets>);
  // Warm up every shape first (a warm worker's JIT has compiled the solver; on a loaded machine the optimizing
  // compiler's thread gets little CPU, so the first rounds of the first shape would measure the compiler instead).
  const first: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [shape, sets] of all) {
      const a = performance.now();
      await solver.resolve(request(sets));
      first[shape] ??= performance.now() - a;
    }
  }
  for (const [shape, sets] of all) {
    const times: number[] = [];
    let names: Record<string, string[]> = {};
    for (let i = 0; i < rounds; i++) {
      const a = performance.now();
      const out = await solver.resolve(request(sets));
      times.push(performance.now() - a);
      names = Object.fromEntries(Object.entries(out).map(([k, ps]) => [k, ps.map((p) => p.name).sort()]));
    }
    shapes[shape] = { firstSolveMs: first[shape], warmSolveMs: median(times), sets: names };
  }
  process.stdout.write(`${JSON.stringify({ indexLoadMs, repomdCheckMs, shapes })}\n`);
}

async function once(): Promise<void> {
  const out = await solver.resolve(request(JSON.parse(process.env.DEPSOLVE_BENCH_SETS!) as Sets));
  // The whole answer, as libsolv's and dnf's one-shots give theirs (bench/depsolve-reference.ts); then done, as a
  // one-shot command is: no teardown, in which Node waits for V8's queued background compiles of code that will never
  // run again.
  process.stdout.write(`${JSON.stringify({ sets: out, peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`, () => process.exit(0));
}
