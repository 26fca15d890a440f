/**
 * V8 code caches of the depsolver functions (functions/aws/code-cache.ts, scripts/esbuild-code-cache.cjs): made only
 * for the runtime's Node and architecture, taken by V8 under Lambda's runtime flags, and harmless when V8 refuses one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPSOLVER_FUNCTIONS, ESBUILD_OPTIONS, entryPath } from '../../functions/aws/bundles.ts';
import { CODE_CACHED_FUNCTIONS, cacheNodeFor, lambdaNodeFlags, packageWithCodeCache, runtimeTarget } from '../../functions/aws/code-cache.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ibs-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const major = Number(process.versions.node.split('.')[0]);
const here = { runtime: `nodejs${major}.x`, architecture: process.arch === 'arm64' ? 'arm64' : 'x86_64' };
const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  IBS_TABLE: 'ibs-test-composes',
  IBS_BUCKET: 'ibs-test-artifacts',
  IBS_QUEUE_URL_PREFIX: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-test-',
};
const REPO_REFRESH_MB = 2048;

/** Imports a packaged handler file in a new node with `flags`: the type of `handler` and the warnings it logged. */
function importHandler(file: string, flags: string[]): { handler: string; warnings: string[] } {
  const probe = `const m = await import(${JSON.stringify(file)}); process.stdout.write(typeof m.handler);`;
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { env: { PATH: process.env.PATH, ...LAMBDA_ENV }, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return { handler: run.stdout, warnings: run.stderr.split('\n').filter((line) => line.includes('V8 code cache')) };
}

describe('Lambda runtime flags and targets', () => {
  it("gives node the flags of Lambda's Node.js bootstrap for the function's memory", () => {
    expect(lambdaNodeFlags(1769)).toEqual(['--expose-gc', '--max-http-header-size=81920', '--max-semi-space-size=88', '--max-old-space-size=1593']);
    expect(lambdaNodeFlags(512)).toEqual(['--expose-gc', '--max-http-header-size=81920', '--max-semi-space-size=25', '--max-old-space-size=461']);
  });

  it('reads the target from the provider runtime and architecture, and refuses others', () => {
    expect(runtimeTarget('nodejs22.x', 'arm64')).toEqual({ major: 22, arch: 'arm64' });
    expect(runtimeTarget('nodejs22.x', 'x86_64')).toEqual({ major: 22, arch: 'x64' });
    expect(runtimeTarget('nodejs20.x')).toEqual({ major: 20, arch: 'x64' });
    expect(() => runtimeTarget('python3.12', 'arm64')).toThrow(/not a Node.js runtime/);
    expect(() => runtimeTarget('nodejs22.x', 'riscv64')).toThrow(/not arm64 or x86_64/);
  });

  it('makes caches only with a Node of the runtime major version on its architecture', () => {
    expect(cacheNodeFor({ major, arch: process.arch }, {})).toEqual({ node: process.execPath });
    const other = cacheNodeFor({ major: major + 1, arch: process.arch }, {});
    expect(other).toEqual({ reason: expect.stringMatching(new RegExp(`is Node ${major} on ${process.arch}, the functions run Node ${major + 1} on ${process.arch}: set IBS_CODE_CACHE_NODE`)) });
    expect(cacheNodeFor({ major, arch: process.arch === 'arm64' ? 'x64' : 'arm64' }, {})).toHaveProperty('reason');
    expect(cacheNodeFor({ major, arch: process.arch }, { IBS_CODE_CACHE_NODE: join(dir, 'no-such-node') })).toEqual({ reason: expect.stringContaining('does not run') });
  });

  it('covers the depsolver functions', () => {
    expect(CODE_CACHED_FUNCTIONS).toEqual(DEPSOLVER_FUNCTIONS);
  });
});

describe('a function packaged with its code cache', () => {
  const packaged = join(dir, 'packaged');
  const deployed = join(dir, 'var-task');
  let made: { bundleBytes: number; cacheBytes: number };
  beforeAll(async () => {
    mkdirSync(packaged);
    const outFile = join(packaged, 'repo-refresh.mjs');
    await build({ ...ESBUILD_OPTIONS, entryPoints: [entryPath('repoRefresh')], outfile: outFile, logLevel: 'error' });
    made = await packageWithCodeCache({ entry: entryPath('repoRefresh'), outFile, esbuildOptions: ESBUILD_OPTIONS, build, node: process.execPath, flags: lambdaNodeFlags(REPO_REFRESH_MB) });
    // Unpacked somewhere else, as Lambda does into /var/task: the cache does not depend on the path.
    cpSync(packaged, deployed, { recursive: true });
  }, 60_000);

  it('holds the CommonJS bundle, its cache and a small loader as the handler file', () => {
    expect(readdirSync(deployed).sort()).toEqual(['repo-refresh.bundle.cache', 'repo-refresh.bundle.cjs', 'repo-refresh.mjs']);
    expect(made.bundleBytes).toBeGreaterThan(100_000);
    // Bytecode of every function of the bundle: larger than the source.
    expect(made.cacheBytes).toBeGreaterThan(made.bundleBytes);
    expect(readFileSync(join(deployed, 'repo-refresh.mjs'), 'utf8').length).toBeLessThan(4000);
  });

  it("is compiled from the cache under Lambda's flags, and still runs when V8 refuses it", () => {
    const file = join(deployed, 'repo-refresh.mjs');
    expect(importHandler(file, lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', warnings: [] });
    // Other heap limits (another memory size) are another flag set: V8 refuses the cache, the function still loads.
    const refused = importHandler(file, lambdaNodeFlags(512));
    expect(refused.handler).toBe('function');
    expect(refused.warnings).toHaveLength(1);
    expect(JSON.parse(refused.warnings[0])).toMatchObject({ level: 'WARN', message: expect.stringContaining('rejected'), bundle: join(deployed, 'repo-refresh.bundle.cjs'), node: process.version });
  });

  it("loads Node's modules that the bundle imports on first use (node:http in the guarded transport)", async () => {
    const own = join(dir, 'dynamic');
    mkdirSync(own);
    const entry = join(own, 'entry.ts');
    writeFileSync(entry, "export const handler = async () => `${(await import('node:http')).STATUS_CODES[200]} ${(await import('node:zlib')).constants.Z_OK}`;\n");
    const outFile = join(own, 'entry.mjs');
    await packageWithCodeCache({ entry, outFile, esbuildOptions: ESBUILD_OPTIONS, build, node: process.execPath, flags: lambdaNodeFlags(512) });
    expect(readFileSync(join(own, 'entry.bundle.cjs'), 'utf8')).not.toContain('import(');
    const probe = `const m = await import(${JSON.stringify(outFile)}); process.stdout.write(await m.handler());`;
    const run = spawnSync(process.execPath, [...lambdaNodeFlags(512), '--input-type=module', '-e', probe], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect([run.stdout, run.stderr]).toEqual(['OK 0', '']);
  });

  it('runs without a cache file, and with a damaged one', () => {
    const copy = join(dir, 'damaged');
    cpSync(deployed, copy, { recursive: true });
    truncateSync(join(copy, 'repo-refresh.bundle.cache'), 1000);
    const damaged = importHandler(join(copy, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB));
    expect([damaged.handler, damaged.warnings.length]).toEqual(['function', 1]);
    rmSync(join(copy, 'repo-refresh.bundle.cache'));
    expect(importHandler(join(copy, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', warnings: [] });
  });
});

describe('the esbuild plugin serverless.yml packages with', () => {
  const require = createRequire(import.meta.url);
  const pluginsOf = require(join(root, 'scripts/esbuild-code-cache.cjs')) as ((serverless: unknown) => unknown[]) & {
    functionsOf: (serverless: unknown, entry: string, names: readonly string[]) => string[];
  };
  const serverlessFor = (provider: Record<string, unknown>, lines: string[]) => ({
    cli: { log: (line: string) => lines.push(line) },
    service: {
      provider: { memorySize: 512, ...provider },
      functions: { repoRefresh: { handler: 'functions/aws/repo-refresh.handler', memorySize: REPO_REFRESH_MB }, reaper: { handler: 'functions/aws/reaper.handler' } },
    },
  });
  /** Builds `entry` as serverless-esbuild does (its options, the plugin), into `outdir`. */
  const bundleWithPlugin = async (serverless: unknown, entry: string, outdir: string) => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await build({ ...ESBUILD_OPTIONS, outExtension: { '.js': '.mjs' }, entryPoints: [entry], outdir, plugins: pluginsOf(serverless) as never, logLevel: 'error' });
    } finally {
      process.chdir(cwd);
    }
  };

  it('finds the function of an entry by its handler', () => {
    const serverless = serverlessFor({}, []);
    expect(pluginsOf.functionsOf(serverless, 'functions/aws/repo-refresh.ts', DEPSOLVER_FUNCTIONS)).toEqual(['repoRefresh']);
    expect(pluginsOf.functionsOf(serverless, './functions/aws/repo-refresh.ts', DEPSOLVER_FUNCTIONS)).toEqual(['repoRefresh']);
    expect(pluginsOf.functionsOf(serverless, 'functions/aws/reaper.ts', DEPSOLVER_FUNCTIONS)).toEqual([]);
  });

  it("packages a depsolver function with a cache for this Node's runtime, and leaves the others alone", async () => {
    const lines: string[] = [];
    const serverless = serverlessFor(here, lines);
    const outdir = join(dir, 'plugin-here', 'functions/aws');
    await bundleWithPlugin(serverless, 'functions/aws/repo-refresh.ts', outdir);
    await bundleWithPlugin(serverless, 'functions/aws/reaper.ts', outdir);
    expect(readdirSync(outdir).sort()).toEqual(['reaper.mjs', 'repo-refresh.bundle.cache', 'repo-refresh.bundle.cjs', 'repo-refresh.mjs']);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^repoRefresh: V8 code cache of [0-9.]+ MiB for Node ${major} on ${process.arch}$`))]);
    expect(importHandler(join(outdir, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', warnings: [] });
  }, 60_000);

  it('says why and ships the plain bundle when this Node cannot make the cache', async () => {
    const lines: string[] = [];
    const outdir = join(dir, 'plugin-other', 'functions/aws');
    await bundleWithPlugin(serverlessFor({ runtime: `nodejs${major + 1}.x`, architecture: here.architecture }, lines), 'functions/aws/repo-refresh.ts', outdir);
    expect(readdirSync(outdir)).toEqual(['repo-refresh.mjs']);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^repoRefresh: no V8 code cache \\(.* is Node ${major} on ${process.arch}, the functions run Node ${major + 1} on`))]);
    expect(existsSync(join(outdir, 'repo-refresh.bundle.cache'))).toBe(false);
  }, 60_000);

  it('is the plugin serverless.yml gives serverless-esbuild', () => {
    expect(readFileSync(join(root, 'serverless.yml'), 'utf8')).toMatch(/\n {4}plugins: \.\/scripts\/esbuild-code-cache\.cjs\n/);
    // serverless-esbuild require()s the file in plain node: no TypeScript loader there.
    expect(execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(root, 'scripts/esbuild-code-cache.cjs'))}))`], { encoding: 'utf8' })).toBe('function');
  });
});
