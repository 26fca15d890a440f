/**
 * Issue 16: a cloud API v2 image request's `repositories` replace the distribution's for the depsolve and the
 * manifest, as in osbuild-composer, each scoped by its `package_sets`. fedora-44's own repositories are pointed at a
 * closed port (IBS_REPOSITORIES_DIR), so a compose builds only from the request's: a file:// mirror for everything
 * and a 127.0.0.1 repository for the os package set. The same request with `repositories: []` keeps the
 * distribution's (composer's rule) and fails on the closed port. The runner is the osbuild test double.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { type GenPackage, writeRepo } from '../depsolve/repo-generator.ts';
import { writeImageMirror, writeRpms } from '../support/image-mirror.ts';
import { COMPOSER_SPEC_PATH, createComposerChecker, loadComposerSpec } from './composer-conformance.ts';

const root = resolve(import.meta.dirname, '../..');
const spec = loadComposerSpec();
const mirrorDir = mkdtempSync(join(tmpdir(), 'ibs-v2-mirror-'));
const extrasDir = mkdtempSync(join(tmpdir(), 'ibs-v2-extras-'));
const overridesDir = mkdtempSync(join(tmpdir(), 'ibs-v2-repositories-'));
const mirrorUrl = pathToFileURL(mirrorDir).href;
const savedDir = process.env.IBS_REPOSITORIES_DIR;
let extras: StaticServer;
let stack: LocalStack;
let base: string;
let auth: Record<string, string>;
const problems: string[] = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const parsed = (await res.json()) as any;
  const checked = createComposerChecker(spec!).check({ method, path, status: res.status, contentType: res.headers.get('content-type'), body: parsed });
  problems.push(...checked.problems.map((p) => `${method} ${path}: ${p}`));
  return { status: res.status, body: parsed };
}

async function untilFinal(id: string): Promise<any> {
  for (const deadline = Date.now() + 100_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 150))) {
    const status = await call('GET', `/composes/${id}`);
    if (status.body.status !== 'pending') return status.body;
  }
  throw new Error(`compose ${id} still pending`);
}

const composeRequest = (repositories: unknown[]) => ({
  distribution: 'fedora-44',
  image_request: { architecture: 'x86_64', image_type: 'guest-image', repositories, upload_targets: [{ type: 'aws.s3', upload_options: { region: 'us-east-1' } }] },
  customizations: { packages: ['extra-tool'] },
});

describe.skipIf(!spec)(`image_request.repositories replace the distribution's${spec ? '' : ` (skipped: ${COMPOSER_SPEC_PATH} not found)`}`, () => {
  beforeAll(async () => {
    // fedora-44's own repositories: a port nothing listens on (a compose that uses them fails at depsolve)
    writeFileSync(join(overridesDir, 'fedora-44.json'), JSON.stringify({ x86_64: [{ name: 'closed', baseurl: 'http://127.0.0.1:9/', check_gpg: false }] }));
    process.env.IBS_REPOSITORIES_DIR = overridesDir;
    await writeImageMirror(mirrorDir, 'fedora-44', 'guest-image');
    const extraPackages: GenPackage[] = [{ name: 'extra-tool', version: '2.0', release: '1.fc44', arch: 'x86_64', summary: 'from the os-only repository' }];
    writeRepo(extrasDir, { packages: extraPackages });
    writeRpms(extrasDir, extraPackages);
    extras = await serveDirectory(extrasDir);
    const { startLocalStack } = await import('../../local/stack.ts');
    const { RepoDepsolver } = await import('../../layers/src/depsolve/index.ts');
    stack = await startLocalStack({
      dataDir: mkdtempSync(join(tmpdir(), 'ibs-v2-repositories-flow-')),
      port: 0,
      runners: 1,
      runnerEnv: { IBS_OSBUILD: join(root, 'test/osbuild-double/osbuild'), IBS_LOG_LEVEL: 'warn' },
      depsolver: new RepoDepsolver({}),
      log: createLogger({}, { write: () => {} }),
    });
    base = `${stack.url}/api/image-builder-composer/v2`;
    auth = { authorization: `Bearer ${await stack.mintToken('v2-repositories')}` };
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await extras?.close();
    if (savedDir === undefined) delete process.env.IBS_REPOSITORIES_DIR;
    else process.env.IBS_REPOSITORIES_DIR = savedDir;
  });

  it('builds from the request\'s repositories: a file:// mirror, and a 127.0.0.1 repository for the os set only', { timeout: 120_000 }, async () => {
    const repositories = [
      { baseurl: `${mirrorUrl}/`, rhsm: false, check_gpg: false },
      { baseurl: `${extras.url}/`, rhsm: false, check_gpg: false, module_hotfixes: true, package_sets: ['os'] },
    ];
    const created = await call('POST', '/compose', composeRequest(repositories));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const final = await untilFinal(created.body.id);
    expect(final.image_status.error, JSON.stringify(final.image_status.error)).toBeUndefined();
    expect(final.status).toBe('success');

    const { body } = await call('GET', `/composes/${created.body.id}/manifests`);
    const manifest = body.manifests[0];
    const items = Object.entries(manifest.sources['org.osbuild.curl'].items as Record<string, { url?: string } | string>).map(([checksum, i]) => ({ checksum, url: typeof i === 'string' ? i : i.url! }));
    const fromExtras = items.filter((i) => !i.url.startsWith(`${mirrorUrl}/Packages/`));
    expect(fromExtras.map((i) => i.url)).toEqual([`${extras.url}/Packages/e/extra-tool-2.0-1.fc44.x86_64.rpm`]);
    // the os-only repository's package is in the os tree's rpm stage, not in the build root's
    const stages = (name: string) => JSON.stringify(manifest.pipelines.find((p: { name: string }) => p.name === name).stages);
    expect(stages('os')).toContain(fromExtras[0]!.checksum);
    expect(stages('build')).not.toContain(fromExtras[0]!.checksum);
    // the metadata gives the request back as sent, and the packages of the image
    const metadata = await call('GET', `/composes/${created.body.id}/metadata`);
    expect(metadata.body.request).toEqual(composeRequest(repositories));
    expect(metadata.body.packages.map((p: { name: string }) => p.name)).toContain('extra-tool');
  });

  it('without repositories (composer: `[]`) the distribution\'s own are used: here the closed port, so the depsolve fails', { timeout: 120_000 }, async () => {
    const created = await call('POST', '/compose', composeRequest([]));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const final = await untilFinal(created.body.id);
    expect(final.status).toBe('failure');
    expect(JSON.stringify(final.image_status.error)).toContain('127.0.0.1:9');
  });

  it('every answer matched the v2 spec', () => {
    expect(problems).toEqual([]);
  });
});
