/**
 * Every Lambda bundle (esbuild, the settings serverless.yml uses) must be free of the embedded adapters and SQLite,
 * carry only the AWS clients it needs, and load in Node as an ES module exporting `handler`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_ENTRIES, bundleAllLambdas, type BundleResult, type LambdaName } from '../../functions/aws/bundles.ts';

const dir = mkdtempSync(join(tmpdir(), 'ibs-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let all: ReturnType<typeof bundleAllLambdas> | undefined;
const bundleOf = async (name: LambdaName): Promise<BundleResult> => (await (all ??= bundleAllLambdas())).get(name)!;

const uses = (bundle: BundleResult, pkg: string) => bundle.inputs.some((input) => input.includes(`node_modules/${pkg}/`));

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

  it('carries only the AWS clients each function needs', async () => {
    const clients = ['client-dynamodb', 'client-s3', 'client-sqs', 'client-auto-scaling', 'client-eventbridge'];
    const used = async (name: LambdaName) => {
      const bundle = await bundleOf(name);
      return clients.filter((c) => uses(bundle, `@aws-sdk/${c}`));
    };
    expect(await used('fleetScaler')).toEqual(['client-sqs', 'client-auto-scaling']);
    expect(await used('statusEvents')).toEqual(['client-eventbridge']);
    expect(await used('api')).toEqual(['client-dynamodb', 'client-s3', 'client-sqs']);
    // The package API touches only the repository index cache in the bucket.
    expect(await used('apiPackages')).toEqual(['client-s3']);
    const manifest = await bundleOf('manifestWorker');
    expect(manifest.inputs.some((i) => i.includes('layers/src/depsolve/'))).toBe(true);
    const api = await bundleOf('api');
    expect(api.inputs.some((i) => i.includes('layers/src/depsolve/'))).toBe(false);
    const packages = await bundleOf('apiPackages');
    expect(packages.inputs.some((i) => i.includes('layers/src/depsolve/'))).toBe(true);
  });
});
