// esbuild plugin for serverless-esbuild (serverless.yml `custom.esbuild.plugins`): after each depsolver function's
// bundle is built, packages it with a V8 code cache (functions/aws/code-cache.ts) when a Node that can make one for the
// functions' runtime and architecture is at hand; otherwise says why and leaves the bundle as it is.
// CommonJS because serverless-esbuild require()s its plugins file; the TypeScript module loads through tsx.
'use strict';

const { basename, extname, join } = require('node:path');

/** The functions of `names` whose handler lives in `entry` (serverless handler `dir/file.export`). */
function functionsOf(serverless, entry, names) {
  const stem = entry.replace(/^\.\//, '').slice(0, -extname(entry).length);
  return names.filter((name) => {
    const handler = serverless.service.functions?.[name]?.handler ?? '';
    return handler.slice(0, handler.lastIndexOf('.')) === stem;
  });
}

/** What the cache depends on, per function: one entry shared by functions that differ in it gets no cache. */
function settingsOf(serverless, name) {
  const fn = serverless.service.functions[name];
  const provider = serverless.service.provider;
  return {
    runtime: fn.runtime ?? provider.runtime,
    architecture: fn.architecture ?? provider.architecture ?? 'x86_64',
    memoryMB: fn.memorySize ?? provider.memorySize ?? 1024,
    exportName: fn.handler.slice(fn.handler.lastIndexOf('.') + 1),
  };
}

function codeCachePlugin(serverless) {
  const log = (message) => (serverless.cli?.log ? serverless.cli.log(message) : console.log(message));
  return {
    name: 'ibs-code-cache',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length) return;
        const codeCache = require('tsx/cjs/api').require('../functions/aws/code-cache.ts', __filename);
        const options = build.initialOptions;
        const entry = [options.entryPoints].flat()[0];
        const names = functionsOf(serverless, entry, codeCache.CODE_CACHED_FUNCTIONS);
        if (!names.length) return;
        const all = names.map((name) => settingsOf(serverless, name));
        const settings = all[0];
        const label = names.join(', ');
        if (all.some((s) => s.runtime !== settings.runtime || s.architecture !== settings.architecture || s.memoryMB !== settings.memoryMB)) {
          log(`${label}: no V8 code cache (one bundle for functions with different runtimes, architectures or memory sizes)`);
          return;
        }
        const target = codeCache.runtimeTarget(settings.runtime, settings.architecture);
        const found = codeCache.cacheNodeFor(target);
        if (!('node' in found)) {
          log(`${label}: no V8 code cache (${found.reason})`);
          return;
        }
        const outFile = join(options.outdir, basename(entry, extname(entry)) + (options.outExtension?.['.js'] ?? '.js'));
        const made = await codeCache.packageWithCodeCache({
          entry,
          outFile,
          esbuildOptions: options,
          build: build.esbuild.build,
          node: found.node,
          flags: codeCache.lambdaNodeFlags(settings.memoryMB),
          exportNames: [...new Set(all.map((s) => s.exportName))],
          service: names[0],
        });
        log(`${label}: V8 code cache of ${(made.cacheBytes / 1048576).toFixed(1)} MiB for Node ${target.major} on linux ${target.arch} (V8 ${found.v8}, ${settings.memoryMB} MB)`);
      });
    },
  };
}

module.exports = (serverless) => [codeCachePlugin(serverless)];
module.exports.functionsOf = functionsOf;
