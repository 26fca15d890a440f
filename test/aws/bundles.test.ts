/**
 * Every Lambda bundle of serverless.yml (esbuild, the settings serverless.yml uses) must be free of the embedded adapters
 * and SQLite, carry exactly the AWS SDK clients its function calls, and load in Node as an ES module exporting `handler`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { misplacedRoutes } from '../../functions/aws/api-routes.ts';
import { DEPSOLVER_FUNCTIONS, DEPSOLVER_NODE_OPTIONS, ESBUILD_OPTIONS, LAMBDA_ENTRIES, bundleAllLambdas, type BundleResult, type LambdaName } from '../../functions/aws/bundles.ts';
import { readDepsolverOptions } from '../../functions/aws/config.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ibs-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let all: ReturnType<typeof bundleAllLambdas> | undefined;
const bundleOf = async (name: LambdaName): Promise<BundleResult> => (await (all ??= bundleAllLambdas())).get(name)!;

const uses = (bundle: BundleResult, pkg: string) => bundle.inputs.some((input) => input.includes(`node_modules/${pkg}/`));

/**
 * The AWS SDK clients each function calls (`@aws-sdk/client-<name>`), matching its role in serverless.yml. The SDK's
 * credential providers bring their own internal clients (`@aws-sdk/nested-clients`: SSO, STS), which are not counted.
 */
const SDK_CLIENTS = {
  // EC2: composer v2 AMI clones (CopyImage, DescribeImages, share). SSM: the Koji client certificate (CGInitBuild).
  api: ['dynamodb', 'ec2', 's3', 'sqs', 'ssm'],
  // The package API touches only the repository index cache in the bucket (its routes: functions/aws/api-package-routes.ts).
  apiPackages: ['s3'],
  manifestWorker: ['dynamodb', 's3', 'sqs'],
  // The event source mapping receives and deletes the dead letters: the function itself only fails composes.
  deadLetter: ['dynamodb'],
  reaper: ['dynamodb', 'sqs'],
  fleetScaler: ['auto-scaling', 'sqs'],
  repoRefresh: ['s3'],
  // Stream records arrive in the event; DynamoDB, S3 and SSM are the Koji import's (claim, image, state, certificate).
  statusEvents: ['dynamodb', 'eventbridge', 's3', 'ssm'],
} as const satisfies Record<LambdaName, readonly string[]>;

/** Every `@aws-sdk/client-*` package with code in the bundle. */
const sdkClientsIn = (bundle: BundleResult): string[] =>
  [...new Set(bundle.inputs.map((input) => /node_modules\/@aws-sdk\/client-([^/]+)\//.exec(input)?.[1]).filter((c): c is string => c !== undefined))].sort();

// Fake resources: loading a bundle must not call AWS (clients connect lazily).
const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
  IBS_TABLE: 'ibs-test-composes',
  IBS_BUCKET: 'ibs-test-artifacts',
  IBS_QUEUE_URL_PREFIX: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-test-',
  IBS_RUNNER_GROUP_PREFIX: 'ibs-test-runners-',
  IBS_EVENT_BUS: 'default',
};

describe('Lambda bundles', () => {
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
    it(`${name}: no embedded adapters, no SQLite, loads as ESM with a handler`, async () => {
      const bundle = await bundleOf(name);
      expect(bundle.inputs.filter((i) => i.includes('adapters/embedded') || i.startsWith('local/'))).toEqual([]);
      expect(uses(bundle, 'better-sqlite3')).toBe(false);
      expect(bundle.code).not.toMatch(/better[-_]sqlite3|better_sqlite3\.node/);
      const file = join(dir, `${name}.mjs`);
      writeFileSync(file, bundle.code);
      const probe = `const m = await import(${JSON.stringify(file)}); process.stdout.write(typeof m.handler);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        env: { PATH: process.env.PATH, ...LAMBDA_ENV },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toBe('function');
    });
  }

  it('bundles exactly the functions serverless.yml deploys, from the same entry files', () => {
    const config = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { functions: Record<string, { handler: string }> };
    const deployed = Object.fromEntries(Object.entries(config.functions).map(([name, fn]) => [name, fn.handler.replace(/\.handler$/, '.ts')]));
    expect(deployed).toEqual(Object.fromEntries(Object.entries(LAMBDA_ENTRIES).map(([name, file]) => [name, `functions/aws/${file}`])));
    expect(Object.keys(deployed)).toHaveLength(8);
  });

  it('runs the depsolver functions with DEPSOLVER_NODE_OPTIONS (as the bench does), a value NODE_OPTIONS accepts', () => {
    const config = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
      provider: { environment: Record<string, unknown> };
      functions: Record<string, { environment?: Record<string, unknown> | null }>;
    };
    const options = Object.fromEntries(Object.entries(config.functions).map(([name, fn]) => [name, fn.environment?.NODE_OPTIONS]));
    const expected = Object.fromEntries(Object.keys(config.functions).map((name) => [name, (DEPSOLVER_FUNCTIONS as readonly string[]).includes(name) ? DEPSOLVER_NODE_OPTIONS : undefined]));
    expect(options).toEqual(expected);
    expect(config.provider.environment.NODE_OPTIONS).toBeUndefined();
    const run = spawnSync(process.execPath, ['-e', 'process.stdout.write("ok")'], { env: { PATH: process.env.PATH, NODE_OPTIONS: DEPSOLVER_NODE_OPTIONS }, encoding: 'utf8' });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, 'ok', '']);
  });

  for (const [name, allowed] of Object.entries(SDK_CLIENTS) as [LambdaName, readonly string[]][]) {
    it(`${name}: carries the AWS SDK clients ${allowed.join(', ')} and no other`, async () => {
      const bundle = await bundleOf(name);
      expect(sdkClientsIn(bundle), `${name} bundles an SDK client it never calls (or misses one it calls)`).toEqual([...allowed].sort());
      // The S3 helpers come with the S3 client only.
      for (const helper of ['lib-storage', 's3-request-presigner']) expect(uses(bundle, `@aws-sdk/${helper}`)).toBe(allowed.includes('s3'));
    });
  }

  it('keeps the compose routes out of apiPackages: no AMI clones, no compose route modules', async () => {
    const inputs = (await bundleOf('apiPackages')).inputs;
    expect(inputs.filter((i) => /composer-v2\/(ami-clones|composer-routes|composer-compose)\.ts$|functions\/api\/(compose|blueprint)-routes\.ts$/.test(i))).toEqual([]);
    expect((await bundleOf('api')).inputs.some((i) => i.endsWith('composer-v2/ami-clones.ts'))).toBe(true);
    // The two functions' tables together still serve every route exactly once.
    expect(misplacedRoutes()).toEqual([]);
  });

  it('uses the settings serverless.yml deploys with (custom.esbuild)', () => {
    const config = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { custom: { esbuild: Record<string, unknown> } };
    const { outputFileExtension, exclude, alias, plugins, ...deployed } = config.custom.esbuild;
    const { alias: ours, ...options } = ESBUILD_OPTIONS;
    expect(deployed).toEqual(options);
    // The code cache plugin (test/aws/code-cache.test.ts) adds files beside a bundle; the bundle itself is this one.
    expect([outputFileExtension, exclude, plugins]).toEqual(['.mjs', [], './scripts/esbuild-code-cache.cjs']);
    expect(Object.fromEntries(Object.entries(alias as Record<string, string>).map(([k, v]) => [k, resolve(root, v)]))).toEqual(ours);
  });

  it('leaves undici out: the Lambdas read repositories through the address-guarded transport only', async () => {
    for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
      const bundle = await bundleOf(name);
      expect(uses(bundle, 'undici'), `${name} bundles undici`).toBe(false);
      // Where the local fetch is bundled (it is reached only without the guard), undici is the stub that says so.
      const local = bundle.inputs.some((i) => i.endsWith('depsolve/repository-fetch.ts'));
      expect(bundle.inputs.some((i) => i.endsWith('functions/aws/undici-unavailable.ts'))).toBe(local);
    }
    // Every Lambda that reads repositories builds its index store with the guard on (functions/aws/config.ts).
    for (const file of ['manifest-worker.ts', 'api-packages.ts', 'repo-refresh.ts']) expect(readFileSync(join(root, 'functions/aws', file), 'utf8')).toContain('...readDepsolverOptions(process.env)');
    expect(readDepsolverOptions({}).allowPrivateAddresses).toBe(false);
    // The stub fails loudly if a wiring change ever reaches it.
    const stub = await import('../../functions/aws/undici-unavailable.ts');
    expect(() => new stub.EnvHttpProxyAgent()).toThrow(/address-guarded transport/);
    expect(() => stub.fetch()).toThrow(/not bundled in the Lambda functions/);
  });

  it('puts the depsolver only where repositories are read', async () => {
    const depsolver = async (name: LambdaName) => (await bundleOf(name)).inputs.some((i) => i.includes('layers/src/depsolve/'));
    expect(await depsolver('manifestWorker')).toBe(true);
    expect(await depsolver('apiPackages')).toBe(true);
    expect(await depsolver('repoRefresh')).toBe(true);
    expect(await depsolver('api')).toBe(false);
    expect(await depsolver('deadLetter')).toBe(false);
    expect(await depsolver('reaper')).toBe(false);
  });
});
