/**
 * The Lambda functions of the AWS deployment and how each is bundled. serverless.yml's `custom.esbuild` uses the same
 * settings; the bundle test and bench/aws.ts bundle through here, so what they measure is what is deployed (the
 * depsolver functions' code-cached form, when one is made, is code-cache.ts's: test/aws/code-cache.test.ts).
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Function name in serverless.yml → entry file in functions/aws/. */
export const LAMBDA_ENTRIES = {
  api: 'api.ts',
  apiPackages: 'api-packages.ts',
  manifestWorker: 'manifest-worker.ts',
  deadLetter: 'dead-letter.ts',
  reaper: 'reaper.ts',
  fleetScaler: 'fleet-scaler.ts',
  repoRefresh: 'repo-refresh.ts',
  statusEvents: 'status-events.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

export const entryPath = (name: LambdaName): string => fileURLToPath(new URL(LAMBDA_ENTRIES[name], import.meta.url));

/** ESM for nodejs22.x; `require` provided for the CommonJS dependencies that still call it. */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire as __ibsCreateRequire } from 'node:module'; const require = __ibsCreateRequire(import.meta.url);" },
  legalComments: 'none',
  // Lambdas never load undici (see undici-unavailable.ts): a stub keeps its 0.5 MB out of each bundle's cold start.
  alias: { undici: fileURLToPath(new URL('undici-unavailable.ts', import.meta.url)) },
} satisfies BuildOptions;

/**
 * NODE_OPTIONS of the functions that run the depsolver (serverless.yml: manifestWorker, apiPackages, repoRefresh).
 * V8's background thread pool has four threads by default: on a Lambda's one or two vCPUs they crowd out the main
 * thread while a cold process's JIT compiles the solver (a desktop-sized cold resolution on two CPUs: ~125 ms with
 * four, ~100 ms with one; docs/depsolver.md). The bench runs its one-shot processes with them, as deployed.
 */
export const DEPSOLVER_NODE_OPTIONS = '--v8-pool-size=1';
export const DEPSOLVER_FUNCTIONS = ['manifestWorker', 'apiPackages', 'repoRefresh'] as const satisfies readonly LambdaName[];

export interface BundleResult {
  name: LambdaName;
  code: string;
  bytes: number;
  /** Input files that made it into the bundle (repository-relative). */
  inputs: string[];
  metafile: Metafile;
}

/** Every function in one esbuild run (shared parsing: much faster than one run per function). */
export async function bundleAllLambdas(options: Partial<BuildOptions> = {}): Promise<Map<LambdaName, BundleResult>> {
  const names = Object.keys(LAMBDA_ENTRIES) as LambdaName[];
  const result = await build({
    ...ESBUILD_OPTIONS,
    ...options,
    entryPoints: Object.fromEntries(names.map((name) => [name, entryPath(name)])),
    outdir: '/ibs-bundles',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bundles = new Map<LambdaName, BundleResult>();
  for (const name of names) {
    const file = result.outputFiles.find((f) => f.path === `/ibs-bundles/${name}.js`);
    const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(`ibs-bundles/${name}.js`))?.[1];
    if (!file || !output) throw new Error(`esbuild produced no bundle for ${name}`);
    bundles.set(name, { name, code: file.text, bytes: Buffer.byteLength(file.text), inputs: Object.keys(output.inputs), metafile: result.metafile });
  }
  return bundles;
}

export async function bundleLambda(name: LambdaName, options: Partial<BuildOptions> = {}): Promise<BundleResult> {
  const result = await build({ ...ESBUILD_OPTIONS, ...options, entryPoints: [entryPath(name)], write: false, metafile: true, logLevel: 'silent' });
  const code = result.outputFiles[0]?.text ?? '';
  return { name, code, bytes: Buffer.byteLength(code), inputs: Object.keys(result.metafile.inputs), metafile: result.metafile };
}
