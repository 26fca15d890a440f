/**
 * V8 code caches for Lambda bundles, made at packaging. A cold start spends a large part of its time parsing and
 * compiling the bundle (the manifest worker's 0.95 MB: ~50 ms to import, ~23 ms from a cache; docs/aws.md); a code
 * cache holds that bytecode. The function's handler file becomes a small loader (cached-bundle.ts) that compiles the
 * CommonJS form of the bundle with the cache.
 *
 * V8 accepts a cache only from the same V8 version, CPU architecture and flags, so one is made only by a Node of the
 * runtime's major version on the functions' architecture (this Node, or IBS_CODE_CACHE_NODE), under the flags
 * Lambda's runtime starts node with. Packaged anywhere else, the functions ship as plain bundles, as before.
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, build as esbuildBuild } from 'esbuild';
import { WRAPPER } from './cached-bundle.ts';

/** The functions packaged with a code cache: the depsolver's, whose cold start a user waits for. */
export { DEPSOLVER_FUNCTIONS as CODE_CACHED_FUNCTIONS } from './bundles.ts';

/**
 * The V8 flags AWS Lambda's Node.js runtime starts node with (its bootstrap script): --expose-gc and heap limits from
 * the function's memory, a tenth of it for the young generation. V8 keys a code cache on its flags.
 */
export function lambdaNodeFlags(memoryMB: number): string[] {
  const newSpace = Math.floor(memoryMB / 10);
  return ['--expose-gc', '--max-http-header-size=81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMB - newSpace}`];
}

export interface RuntimeTarget {
  /** Node's major version (nodejs22.x: 22). */
  major: number;
  /** process.arch of the functions (arm64, x64). */
  arch: string;
}

/** The target of serverless.yml's provider `runtime` (nodejsNN.x) and `architecture` (arm64 | x86_64). */
export function runtimeTarget(runtime: string, architecture = 'x86_64'): RuntimeTarget {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!major) throw new Error(`runtime ${runtime} is not a Node.js runtime (nodejsNN.x)`);
  if (architecture !== 'arm64' && architecture !== 'x86_64') throw new Error(`architecture ${architecture} is not arm64 or x86_64`);
  return { major: Number(major), arch: architecture === 'arm64' ? 'arm64' : 'x64' };
}

/** The Node binary that can make caches for `target` (Linux, as Lambda), with its V8 version; or why there is none. */
export function cacheNodeFor(target: RuntimeTarget, env: NodeJS.ProcessEnv = process.env): { node: string; v8: string } | { reason: string } {
  const node = env.IBS_CODE_CACHE_NODE || process.execPath;
  const found = probeNode(node);
  if (typeof found === 'string') return { reason: found };
  const [major, arch, platform, v8] = found;
  if (major !== String(target.major) || arch !== target.arch || platform !== 'linux') {
    return { reason: `${node} is Node ${major} on ${platform} ${arch}, the functions run Node ${target.major} on linux ${target.arch}: set IBS_CODE_CACHE_NODE to such a node` };
  }
  return { node, v8 };
}

// One probe per binary: packaging asks once for every function it caches.
const probes = new Map<string, string[] | string>();

/** A node binary's major version, arch, platform and V8 version, or why it does not run. */
function probeNode(node: string): string[] | string {
  let found = probes.get(node);
  if (found === undefined) {
    try {
      const probe = '[process.versions.node.split(".")[0], process.arch, process.platform, process.versions.v8].join(" ")';
      found = execFileSync(node, ['-p', probe], { encoding: 'utf8', env: {} }).trim().split(' ');
    } catch (error) {
      found = `${node} does not run (${(error as Error).message.split('\n')[0]})`;
    }
    probes.set(node, found);
  }
  return found;
}

// Run by the cache-making node: compiles every function of the bundle eagerly, then restores lazy compilation so
// that the cache carries the flag set the runtime has, and writes the cache. Arguments: bundle, cache, wrapper JSON.
const MAKE_CACHE = `
const v8 = require('node:v8'), fs = require('node:fs'), vm = require('node:vm');
const [file, out, wrapper] = process.argv.slice(1);
const [head, tail] = JSON.parse(wrapper);
v8.setFlagsFromString('--no-lazy');
const script = new vm.Script(head + fs.readFileSync(file, 'utf8') + tail, { filename: file, columnOffset: -head.length });
v8.setFlagsFromString('--lazy');
fs.writeFileSync(out, script.createCachedData());
`;

/** V8's code cache of a CommonJS bundle, made by `node` under `flags`. */
function createCodeCache(bundleFile: string, cacheFile: string, options: { node: string; flags: string[] }): void {
  execFileSync(options.node, [...options.flags, '-e', MAKE_CACHE, bundleFile, cacheFile, JSON.stringify(WRAPPER)], { stdio: ['ignore', 'ignore', 'pipe'], env: {} });
}

export interface CachedPackage {
  bundleBytes: number;
  cacheBytes: number;
}

/**
 * Turns the ESM bundle `outFile` of `entry` into a cached one: `<name>.bundle.cjs` (the same code as CommonJS),
 * `<name>.bundle.cache`, and `outFile` itself a loader exporting `exportNames` from them, and `codeCacheUsed`.
 * Any esbuild warning fails it: the CommonJS form must be the same program (an `import.meta` would not be).
 */
export async function packageWithCodeCache(options: {
  entry: string;
  outFile: string;
  esbuildOptions: BuildOptions;
  node: string;
  flags: string[];
  /** The handler's exports (serverless.yml `handler: file.<export>`). */
  exportNames: string[];
  /** The function's name in its log lines. */
  service?: string;
  /** esbuild's build, as the caller loaded it (an esbuild plugin: its `build.esbuild`). */
  build: typeof esbuildBuild;
}): Promise<CachedPackage> {
  const { build } = options;
  const bad = options.exportNames.find((name) => !/^[A-Za-z_$][\w$]*$/.test(name) || name === 'codeCacheUsed');
  if (bad !== undefined) throw new Error(`${JSON.stringify(bad)} cannot be a handler export of the loader`);
  const base = options.outFile.replace(/\.m?js$/, '');
  const bundleFile = `${base}.bundle.cjs`;
  const cacheFile = `${base}.bundle.cache`;
  const { banner: _banner, outExtension: _ext, plugins: _plugins, outdir: _outdir, ...shared } = options.esbuildOptions;
  // import() of Node's modules (node:http, node:https, node:async_hooks: loaded on first use) as require(): a script
  // run by vm has no module loader for import() (Node 22 offers one as an experiment; with a cache, Node 20 loses it).
  const cjs = await build({ ...shared, entryPoints: [options.entry], outfile: bundleFile, format: 'cjs', supported: { 'dynamic-import': false }, write: true, logLevel: 'silent' });
  if (cjs.warnings.length) {
    throw new Error(`the CommonJS bundle of ${options.entry} differs from its ES module: ${cjs.warnings.map((w) => `${w.text} (${w.location?.file}:${w.location?.line})`).join('; ')}`);
  }
  createCodeCache(bundleFile, cacheFile, { node: options.node, flags: options.flags });
  writeFileSync(options.outFile, await loaderSource(build, basename(bundleFile), basename(cacheFile), options.exportNames, options.service ?? 'ibs'));
  return { bundleBytes: statSync(bundleFile).size, cacheBytes: statSync(cacheFile).size };
}

/** The ESM loader module: cached-bundle.ts bundled in, the bundle and cache beside it. */
async function loaderSource(build: typeof esbuildBuild, bundleName: string, cacheName: string, exportNames: string[], service: string): Promise<string> {
  const runtime = fileURLToPath(new URL('cached-bundle.ts', import.meta.url));
  const contents = [
    `import { runCachedBundle } from ${JSON.stringify(runtime)};`,
    `const { exports, cacheUsed } = runCachedBundle(new URL(${JSON.stringify(`./${bundleName}`)}, import.meta.url), new URL(${JSON.stringify(`./${cacheName}`)}, import.meta.url), ${JSON.stringify(service)});`,
    // Whether this start took the bytecode from the cache (tests, and anyone checking a deployment).
    'export const codeCacheUsed = cacheUsed;',
    ...exportNames.map((name) => `export const ${name} = exports[${JSON.stringify(name)}];`),
  ].join('\n');
  const out = await build({ stdin: { contents, loader: 'ts', resolveDir: dirname(runtime) }, bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'error' });
  return out.outputFiles[0].text;
}
