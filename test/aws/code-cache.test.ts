/**
 * V8 code caches of the depsolver functions (functions/aws/code-cache.ts, scripts/esbuild-code-cache.cjs): made only
 * by a Node of the runtime's version on its platform, taken by V8 under Lambda's runtime flags, harmless when V8
 * refuses one, and packaged by `osls package` into the right function's zip.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS, entryPath } from '../../functions/aws/bundles.ts';
import { cacheNodeFor, lambdaNodeFlags, packageWithCodeCache, runtimeTarget } from '../../functions/aws/code-cache.ts';
import { copyCheckout, runOsls } from './osls-package.ts';

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
const python = spawnSync('python3', ['-c', 'import zipfile']).status === 0;

interface Loaded {
  handler: string;
  codeCacheUsed: boolean;
  warnings: Record<string, unknown>[];
}

/** Imports a packaged handler file in a new node with `flags`: its exports' kinds and the warnings it logged. */
function importHandler(file: string, flags: string[]): Loaded {
  const probe = `const m = await import(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ handler: typeof m.handler, codeCacheUsed: m.codeCacheUsed }));`;
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { env: { PATH: process.env.PATH, ...LAMBDA_ENV }, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const warnings = run.stderr.split('\n').filter((line) => line.includes('V8 code cache')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...(JSON.parse(run.stdout) as Omit<Loaded, 'warnings'>), warnings };
}

/** Packages a small entry of our own with its cache (this node, Lambda's flags for 512 MB). */
async function packageEntry(name: string, source: string): Promise<string> {
  const own = join(dir, name);
  mkdirSync(own);
  const entry = join(own, 'entry.ts');
  writeFileSync(entry, source);
  const outFile = join(own, 'entry.mjs');
  await packageWithCodeCache({ entry, outFile, esbuildOptions: ESBUILD_OPTIONS, build, node: process.execPath, flags: lambdaNodeFlags(512), exportNames: ['handler'] });
  return outFile;
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

  it('makes caches only with a Node of the runtime major version on Linux and its architecture', () => {
    expect(cacheNodeFor({ major, arch: process.arch }, {})).toEqual({ node: process.execPath, v8: process.versions.v8 });
    const other = cacheNodeFor({ major: major + 1, arch: process.arch }, {});
    expect(other).toEqual({ reason: expect.stringMatching(new RegExp(`is Node ${major} on linux ${process.arch}, the functions run Node ${major + 1} on linux ${process.arch}: set IBS_CODE_CACHE_NODE`)) });
    expect(cacheNodeFor({ major, arch: process.arch === 'arm64' ? 'x64' : 'arm64' }, {})).toHaveProperty('reason');
    expect(cacheNodeFor({ major, arch: process.arch }, { IBS_CODE_CACHE_NODE: join(dir, 'no-such-node') })).toEqual({ reason: expect.stringContaining('does not run') });
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
    made = await packageWithCodeCache({
      entry: entryPath('repoRefresh'),
      outFile,
      esbuildOptions: ESBUILD_OPTIONS,
      build,
      node: process.execPath,
      flags: lambdaNodeFlags(REPO_REFRESH_MB),
      exportNames: ['handler'],
      service: 'repoRefresh',
    });
    // Unpacked somewhere else, as Lambda does into /var/task: the cache does not depend on the path.
    cpSync(packaged, deployed, { recursive: true });
  }, 60_000);

  it('holds the CommonJS bundle, its cache and a small loader as the handler file', () => {
    expect(readdirSync(deployed).sort()).toEqual(['repo-refresh.bundle.cache', 'repo-refresh.bundle.cjs', 'repo-refresh.mjs']);
    expect(made.bundleBytes).toBeGreaterThan(100_000);
    // Bytecode of every function of the bundle (compiled eagerly): larger than the source.
    expect(made.cacheBytes).toBeGreaterThan(made.bundleBytes);
    expect(readFileSync(join(deployed, 'repo-refresh.mjs'), 'utf8').length).toBeLessThan(4000);
  });

  it("is compiled from the cache under Lambda's flags, and still runs when V8 refuses it", () => {
    const file = join(deployed, 'repo-refresh.mjs');
    expect(importHandler(file, lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', codeCacheUsed: true, warnings: [] });
    // Other heap limits (another memory size) are another flag set: V8 refuses the cache, the function still loads.
    const refused = importHandler(file, lambdaNodeFlags(512));
    expect([refused.handler, refused.codeCacheUsed]).toEqual(['function', false]);
    expect(refused.warnings).toEqual([
      {
        level: 'warn',
        time: expect.any(String),
        message: 'V8 code cache rejected: the bundle compiles without it',
        service: 'repoRefresh',
        bundle: join(deployed, 'repo-refresh.bundle.cjs'),
        node: process.version,
        v8: process.versions.v8,
        arch: process.arch,
      },
    ]);
  });

  it('runs without a cache file, and with a damaged one', () => {
    const copy = join(dir, 'damaged');
    cpSync(deployed, copy, { recursive: true });
    truncateSync(join(copy, 'repo-refresh.bundle.cache'), 1000);
    const damaged = importHandler(join(copy, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB));
    expect([damaged.handler, damaged.codeCacheUsed, damaged.warnings.length]).toEqual(['function', false, 1]);
    rmSync(join(copy, 'repo-refresh.bundle.cache'));
    expect(importHandler(join(copy, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', codeCacheUsed: false, warnings: [] });
  });
});

describe('the CommonJS form runs as the ES module would', () => {
  it("loads Node's modules that the bundle imports on first use (node:http in the guarded transport)", async () => {
    const outFile = await packageEntry('dynamic', "export const handler = async () => `${(await import('node:http')).STATUS_CODES[200]} ${(await import('node:zlib')).constants.Z_OK}`;\n");
    expect(readFileSync(outFile.replace('entry.mjs', 'entry.bundle.cjs'), 'utf8')).not.toContain('import(');
    const probe = `const m = await import(${JSON.stringify(outFile)}); process.stdout.write(await m.handler() + ' ' + m.codeCacheUsed);`;
    const run = spawnSync(process.execPath, [...lambdaNodeFlags(512), '--input-type=module', '-e', probe], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect([run.stdout, run.stderr]).toEqual(['OK 0 true', '']);
  });

  it('is strict code, as an ES module is, whatever the tsconfig', async () => {
    // Outside the repository: no tsconfig that would make esbuild write "use strict" itself.
    const outFile = await packageEntry('strict', "export const handler = () => (function (this: unknown) { return this === undefined ? 'strict' : 'sloppy'; })();\n");
    const probe = `const m = await import(${JSON.stringify(outFile)}); process.stdout.write(m.handler());`;
    expect(spawnSync(process.execPath, [...lambdaNodeFlags(512), '--input-type=module', '-e', probe], { encoding: 'utf8' }).stdout).toBe('strict');
  });

  it('fails to load with the error a throwing module gives, at its place in the bundle', async () => {
    const outFile = await packageEntry('throws', "if (process.env.BOOM) throw new Error('configuration missing: BOOM');\nexport const handler = () => 'ok';\n");
    const probe = `try { await import(${JSON.stringify(outFile)}); } catch (e) { process.stdout.write(e.message + '\\n' + e.stack.split('\\n')[1]); }`;
    const bundleLines = readFileSync(outFile.replace('entry.mjs', 'entry.bundle.cjs'), 'utf8').split('\n');
    const thrown = () => {
      const run = spawnSync(process.execPath, [...lambdaNodeFlags(512), '--input-type=module', '-e', probe], { env: { PATH: process.env.PATH, BOOM: '1' }, encoding: 'utf8' });
      const [message, frame] = run.stdout.split('\n');
      // The position is the one in the bundle file (line and column as in the file, the wrapper not counted).
      const at = /entry\.bundle\.cjs:(\d+):(\d+)/.exec(frame);
      return { message, at: at ? bundleLines[Number(at[1]) - 1].slice(Number(at[2]) - 1, Number(at[2]) + 40) : frame };
    };
    const expected = { message: 'configuration missing: BOOM', at: expect.stringMatching(/^(throw )?new Error\("configuration missing: BOOM"\)/) };
    // From the cache (which carries the script's origin), then compiled from the source.
    expect(thrown()).toEqual(expected);
    rmSync(outFile.replace('entry.mjs', 'entry.bundle.cache'));
    expect(thrown()).toEqual(expected);
  });

  it('refuses a handler name that is not an identifier', async () => {
    const entry = join(dir, 'names.ts');
    writeFileSync(entry, 'export const handler = () => 1;\n');
    const options = { entry, outFile: join(dir, 'names.mjs'), esbuildOptions: ESBUILD_OPTIONS, build, node: process.execPath, flags: [] };
    await expect(packageWithCodeCache({ ...options, exportNames: ['handler; process.exit()'] })).rejects.toThrow(/cannot be a handler export/);
    await expect(packageWithCodeCache({ ...options, exportNames: ['codeCacheUsed'] })).rejects.toThrow(/cannot be a handler export/);
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
    const names = ['repoRefresh', 'manifestWorker'];
    expect(pluginsOf.functionsOf(serverless, 'functions/aws/repo-refresh.ts', names)).toEqual(['repoRefresh']);
    expect(pluginsOf.functionsOf(serverless, './functions/aws/repo-refresh.ts', names)).toEqual(['repoRefresh']);
    expect(pluginsOf.functionsOf(serverless, 'functions/aws/reaper.ts', names)).toEqual([]);
  });

  it("packages a depsolver function with a cache for this Node's runtime, and leaves the others alone", async () => {
    const lines: string[] = [];
    const serverless = serverlessFor(here, lines);
    const outdir = join(dir, 'plugin-here', 'functions/aws');
    await bundleWithPlugin(serverless, 'functions/aws/repo-refresh.ts', outdir);
    await bundleWithPlugin(serverless, 'functions/aws/reaper.ts', outdir);
    expect(readdirSync(outdir).sort()).toEqual(['reaper.mjs', 'repo-refresh.bundle.cache', 'repo-refresh.bundle.cjs', 'repo-refresh.mjs']);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^repoRefresh: V8 code cache of [0-9.]+ MiB for Node ${major} on linux ${process.arch} \\(V8 ${process.versions.v8.replace(/\./g, '\\.')}, 2048 MB\\)$`))]);
    expect(importHandler(join(outdir, 'repo-refresh.mjs'), lambdaNodeFlags(REPO_REFRESH_MB))).toEqual({ handler: 'function', codeCacheUsed: true, warnings: [] });
  }, 60_000);

  it('says why and ships the plain bundle when this Node cannot make the cache', async () => {
    const lines: string[] = [];
    const outdir = join(dir, 'plugin-other', 'functions/aws');
    await bundleWithPlugin(serverlessFor({ runtime: `nodejs${major + 1}.x`, architecture: here.architecture }, lines), 'functions/aws/repo-refresh.ts', outdir);
    expect(readdirSync(outdir)).toEqual(['repo-refresh.mjs']);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^repoRefresh: no V8 code cache \\(.* is Node ${major} on linux ${process.arch}, the functions run Node ${major + 1} on`))]);
    expect(existsSync(join(outdir, 'repo-refresh.bundle.cache'))).toBe(false);
  }, 60_000);

  it.skipIf(!python)(
    `\`osls package\` for a runtime this Node matches puts each cache in its own function's zip only${python ? '' : ' (skipped: python3 lists the zips)'}`,
    async () => {
      const copy = copyCheckout();
      try {
        // The checkout's serverless.yml with this machine's Node and architecture as the functions' runtime.
        const yml = join(copy.service, 'serverless.yml');
        writeFileSync(yml, readFileSync(yml, 'utf8').replace(/\n {2}runtime: nodejs\d+\.x\n/, `\n  runtime: ${here.runtime}\n`).replace(/\n {2}architecture: \w+\n/, `\n  architecture: ${here.architecture}\n`));
        const run = await runOsls(copy, ['package']);
        expect(run.code, run.output).toBe(0);
        for (const name of ['apiPackages', 'manifestWorker', 'repoRefresh']) expect(run.output).toMatch(new RegExp(`${name}: V8 code cache of [0-9.]+ MiB for Node ${major}`));
        const zips = join(copy.service, '.serverless');
        const list = (zip: string) => JSON.parse(spawnSync('python3', ['-c', 'import json,sys,zipfile; print(json.dumps(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))', join(zips, `${zip}.zip`)], { encoding: 'utf8' }).stdout) as string[];
        expect(list('manifestWorker')).toEqual(['functions/aws/manifest-worker.bundle.cache', 'functions/aws/manifest-worker.bundle.cjs', 'functions/aws/manifest-worker.mjs']);
        expect(list('apiPackages')).toEqual(['functions/aws/api-packages.bundle.cache', 'functions/aws/api-packages.bundle.cjs', 'functions/aws/api-packages.mjs']);
        expect(list('api')).toEqual(['functions/aws/api.mjs']);
        expect(list('reaper')).toEqual(['functions/aws/reaper.mjs']);
        // Unzipped as Lambda does, under the flags of the function's memory size: compiled from its cache.
        const task = join(copy.root, 'task');
        spawnSync('python3', ['-c', 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', join(zips, 'manifestWorker.zip'), task]);
        expect(importHandler(join(task, 'functions/aws/manifest-worker.mjs'), lambdaNodeFlags(1769))).toEqual({ handler: 'function', codeCacheUsed: true, warnings: [] });
      } finally {
        rmSync(copy.root, { recursive: true, force: true });
      }
    },
    180_000,
  );

  it('is the plugin serverless.yml gives serverless-esbuild, loadable in plain node', () => {
    expect(readFileSync(join(root, 'serverless.yml'), 'utf8')).toMatch(/\n {4}plugins: \.\/scripts\/esbuild-code-cache\.cjs\n/);
    // serverless-esbuild require()s the file in plain node: no TypeScript loader there.
    const run = spawnSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(root, 'scripts/esbuild-code-cache.cjs'))}))`], { encoding: 'utf8' });
    expect(run.stdout).toBe('function');
  });
});
