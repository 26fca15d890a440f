/**
 * Bundles the runner agent into one file for the AMI: `tsx runner-ami/build.ts [outfile]`
 * (default `runner-ami/dist/runner-agent.mjs`). The bundle needs only Node.js (>= 20) on the host: no node_modules.
 * The embedded (local-mode) backend is left out – it needs native SQLite – so the bundle runs with IBS_BACKEND=aws.
 */
import { build, type Plugin } from 'esbuild';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(process.argv[2] ?? resolve(here, 'dist/runner-agent.mjs'));

/** Replaces the local-mode adapters with a module that explains why they are missing. */
const withoutEmbeddedBackend: Plugin = {
  name: 'without-embedded-backend',
  setup(b) {
    b.onResolve({ filter: /\/adapters\/embedded\/embedded-adapters\.ts$/ }, (args) => ({ path: args.path, namespace: 'no-embedded' }));
    b.onLoad({ filter: /.*/, namespace: 'no-embedded' }, () => ({
      contents:
        'export function createEmbeddedAdapters() { throw new Error("this runner bundle has no embedded backend: set IBS_BACKEND=aws, or run runner-ami/src/main.ts with tsx for local mode"); }',
      loader: 'js',
    }));
  },
};

export async function bundleRunner(target = outfile): Promise<{ outfile: string; bytes: number }> {
  await mkdir(dirname(target), { recursive: true });
  await build({
    entryPoints: [resolve(here, 'src/main.ts')],
    outfile: target,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: false,
    sourcemap: 'inline',
    legalComments: 'eof',
    plugins: [withoutEmbeddedBackend],
    // Some dependencies are CommonJS and call require() for Node built-ins.
    banner: { js: "import { createRequire as __ibsCreateRequire } from 'node:module'; const require = __ibsCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { outfile: target, bytes: (await stat(target)).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await bundleRunner();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
