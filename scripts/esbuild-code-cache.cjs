// esbuild plugin for serverless-esbuild (serverless.yml `custom.esbuild.plugins`): after each depsolver function's
// bundle is built, packages it with a V8 code cache (functions/aws/code-cache.ts) when this Node can make one for the
// functions' runtime and architecture; otherwise says why and leaves the bundle as it is.
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
        const [name] = functionsOf(serverless, entry, codeCache.CODE_CACHED_FUNCTIONS);
        if (!name) return;
        const fn = serverless.service.functions[name];
        const provider = serverless.service.provider;
        const target = codeCache.runtimeTarget(fn.runtime ?? provider.runtime, fn.architecture ?? provider.architecture);
        const found = codeCache.cacheNodeFor(target);
        if (!('node' in found)) {
          log(`${name}: no V8 code cache (${found.reason})`);
          return;
        }
        const outFile = join(options.outdir, basename(entry, extname(entry)) + (options.outExtension?.['.js'] ?? '.js'));
        const memoryMB = fn.memorySize ?? provider.memorySize ?? 1024;
        const made = await codeCache.packageWithCodeCache({ entry, outFile, esbuildOptions: options, build: build.esbuild.build, node: found.node, flags: codeCache.lambdaNodeFlags(memoryMB) });
        log(`${name}: V8 code cache of ${(made.cacheBytes / 1048576).toFixed(1)} MiB for Node ${target.major} on ${target.arch}`);
      });
    },
  };
}

module.exports = (serverless) => [codeCachePlugin(serverless)];
module.exports.functionsOf = functionsOf;
