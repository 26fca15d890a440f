/**
 * Issue 12 "Conformance": every operation of the hosted Image Builder spec, driven through the local stack (bearer
 * tokens, a runner on the osbuild test double, a stub depsolver) into its success and its error answers; every answer
 * is checked against the hosted spec's response schemas (test/support/hosted-conformance.ts; our extensions are
 * excepted there by name, our own operations checked against our OpenAPI document).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listDistributions } from '../../layers/src/distro/registry.ts';
import { openapiDocument } from '../../layers/src/api/generated/openapi-document.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { Depsolver } from '../../layers/src/packages/package-set.ts';
import { createStubDepsolver } from '../fuzz/hostile-requests.ts';
import { DOUBLE, FAST_ENV } from '../runner/helpers.ts';
import { tokenHeaders } from '../support/auth.ts';
import { type Checked, createConformanceChecker, HOSTED_EXCEPTIONS, HOSTED_SPEC_PATH, loadHostedSpec } from '../support/hosted-conformance.ts';

const spec = loadHostedSpec();
const ORG = 'conformance-org';
const OTHER_ORG = 'conformance-other';
const MISSING = '123e4567-e89b-12d3-a456-426655440000';
/** Operations that have no success answer here (no SCAP content, no compliance service): their errors are checked. */
const NO_SUCCESS = ['getOscapCustomizations', 'getOscapCustomizationsForPolicy'];
/** Operations that cannot fail on a client's request. */
const NO_ERROR = ['getVersion', 'getReadiness', 'getOpenapiJson'];

let stack: LocalStack;
let api: string;
let as: ReturnType<typeof tokenHeaders>;
const checked: (Checked & { request: string })[] = [];
const ids: Record<string, string> = {};

/** A depsolver stand-in that finds one package per search and knows two comps groups. */
function stubDepsolver(): Depsolver {
  return {
    ...createStubDepsolver(),
    searchPackages: async (query) => ({
      total: 1,
      packages: [{ name: query.search, summary: `${query.search} itself`, version: '1.0', release: '1.fc43', epoch: 0, arch: 'x86_64', repoId: 'fedora' }],
    }),
    packageGroups: async () => [{ id: 'web', name: 'Web Server', packages: ['nginx', 'certbot', 'mod_ssl'] }],
  };
}

/** Sends one request and checks its answer against the spec; returns the status and body for the next steps. */
async function call(method: string, path: string, body?: unknown, org = ORG, target = { api, as }): Promise<{ status: number; body: any }> {
  const res = await fetch(`${target.api}${path}`, {
    method,
    headers: { ...(await target.as(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  const result = createChecker().check({ method, path: path.split('?')[0]!, status: res.status, contentType: res.headers.get('content-type'), body: parsed });
  checked.push({ ...result, request: `${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body).slice(0, 120)}`}` });
  return { status: res.status, body: parsed };
}

let checker: ReturnType<typeof createConformanceChecker> | undefined;
const createChecker = () => (checker ??= createConformanceChecker(spec!));

/** Polls the compose's status through the API (each answer checked: pending, building with progress, ...). */
async function waitForState(id: string, states: string[]): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call('GET', `/composes/${id}`);
    if (states.includes(body.state)) return body.state;
    if (Date.now() > deadline) throw new Error(`compose ${id} stayed ${body.state}, not ${states.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tar = (extra: Record<string, unknown> = {}) => ({
  distribution: 'test-distro-1',
  image_name: 'conformance',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }],
  customizations: { hostname: 'conf', files: [{ path: '/etc/motd', data: 'hello\n' }], directories: [{ path: '/etc/conf', mode: '0755' }] },
  ...extra,
});
const fedora = {
  distribution: 'fedora-43',
  image_requests: [{ architecture: 'x86_64', image_type: 'qcow2' }],
  customizations: {
    packages: ['nginx'],
    users: [{ name: 'alice', password: 'secret', groups: ['wheel'], ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDq1 alice@example.com' }],
    filesystem: [{ mountpoint: '/var', min_size: 2147483648 }],
    services: { enabled: ['sshd'] },
    timezone: { timezone: 'UTC' },
    kernel: { append: 'nosmt' },
  },
};
const blueprint = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: 'conformance blueprint',
  ...fedora,
  image_requests: [
    { architecture: 'x86_64', image_type: 'guest-image', upload_request: { type: 'aws.s3', options: {} } },
    { architecture: 'x86_64', image_type: 'aws', upload_request: { type: 'aws.s3', options: {} } },
  ],
  ...extra,
});

describe.skipIf(!spec)(`every operation answers as the hosted spec says${spec ? '' : ` (skipped: ${HOSTED_SPEC_PATH} not found)`}`, () => {
  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir: mkdtempSync(join(tmpdir(), 'ibs-conformance-')),
      port: 0,
      runners: 1,
      runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE },
      depsolver: stubDepsolver(),
      log: createLogger({}, { write: () => {} }),
    });
    api = `${stack.url}/api/image-builder/v1`;
    as = tokenHeaders(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('meta and distributions', async () => {
    for (const path of ['/version', '/ready', '/openapi.json', '/distributions', '/distributions?kind=bootc', '/distributions/fedora-43', '/distributions/test-distro-1?architecture=x86_64', '/architectures/fedora-43', '/architectures/test-distro-1']) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
    for (const path of ['/distributions?kind=classic', '/distributions/nope', '/architectures/nope']) expect((await call('GET', path)).status, path).toBeGreaterThanOrEqual(400);
    // Low storage: not ready (503) and no new composes (507), both in the error format.
    const original = stack.deps.storage;
    stack.deps.storage = async () => ({ freeBytes: 10 * 2 ** 20, minFreeBytes: 256 * 2 ** 20 });
    try {
      expect((await call('GET', '/ready')).status).toBe(503);
      expect((await call('POST', '/compose', tar())).status).toBe(507);
    } finally {
      stack.deps.storage = original;
    }
  });

  it('composes: created, built to success by the runner, cancelled to failure, listed, read, refused', async () => {
    ids.tar = (await call('POST', '/compose', tar())).body.id;
    ids.fedora = (await call('POST', '/compose', fedora)).body.id;
    for (const bad of [{ ...tar(), image_requests: [] }, { ...tar(), colour: 'blue' }, tar({ image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'gcp', options: {} } }] }), tar({ distribution: 'nope' })]) {
      expect((await call('POST', '/compose', bad)).status).toBe(400);
    }
    expect(await waitForState(ids.tar, ['success', 'failure'])).toBe('success');
    ids.cancelled = (await call('POST', '/compose', tar())).body.id;
    expect((await call('POST', `/composes/${ids.cancelled}/cancel`)).status).toBe(200);
    await waitForState(ids.cancelled, ['cancelled', 'failure', 'success']);

    for (const path of ['/composes', '/composes?ignoreImageTypes=tar&limit=1', `/composes/${ids.tar}`, `/composes/${ids.fedora}`, `/composes/${ids.cancelled}`, `/composes/${ids.tar}/metadata`]) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
    for (const path of ['/composes?limit=0', '/composes?ignoreImageTypes=floppy', `/composes/${MISSING}`, '/composes/not-a-uuid', `/composes/${MISSING}/metadata`]) {
      expect((await call('GET', path)).status, path).toBeGreaterThanOrEqual(400);
    }
    expect((await call('GET', `/composes/${ids.tar}`, undefined, OTHER_ORG)).status).toBe(404);
  }, 90_000);

  it('our own compose operations (logs, manifests, SBOMs, cancel, depsolve, manifest preview) against our document', async () => {
    for (const path of [`/composes/${ids.tar}/logs`, `/composes/${ids.tar}/manifests`, `/composes/${ids.tar}/sboms`]) expect((await call('GET', path)).status, path).toBe(200);
    for (const path of [`/composes/${MISSING}/logs`, `/composes/${MISSING}/manifests`, `/composes/${MISSING}/sboms`]) expect((await call('GET', path)).status, path).toBe(404);
    expect((await call('POST', `/composes/${ids.tar}/cancel`)).status).toBe(409);
    expect((await call('POST', '/depsolve', { distribution: 'fedora-43', architecture: 'x86_64', packages: ['bash'] })).status).toBe(200);
    expect((await call('POST', '/depsolve', { distribution: 'fedora-43', architecture: 'x86_64', packages: [] })).status).toBe(400);
    expect((await call('POST', '/manifest', tar())).status).toBe(200);
    expect((await call('POST', '/manifest', { distribution: 'test-distro-1' })).status).toBe(400);
    const toml = 'name = "imported"\ndistro = "test-distro-1"\n\n[customizations]\nhostname = "imported"\n';
    const imported = await call('POST', '/blueprints/import', { blueprint: toml, image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect((await call('POST', '/blueprints/import', { blueprint: 'name = ' })).status).toBe(400);
  });

  it('the exception list names exactly our own operations (x-ibs-extension paths of our document)', () => {
    const paths = openapiDocument.paths as unknown as Record<string, Record<string, unknown>>;
    const ours = Object.values(paths)
      .filter((item) => item['x-ibs-extension'] === true)
      .flatMap((item) => Object.values(item).map((op) => (op as { operationId?: string } | undefined)?.operationId).filter(Boolean));
    expect(ours.sort()).toEqual([...HOSTED_EXCEPTIONS.operations].sort());
  });

  it('packages', async () => {
    expect((await call('GET', '/packages?distribution=fedora-43&architecture=x86_64&search=nginx')).status).toBe(200);
    expect((await call('GET', '/packages?distribution=fedora-43&architecture=x86_64')).status).toBe(400);
  });

  it('blueprints: create, list, read, update, export, compose, its composes, fixup, delete, and their refusals', async () => {
    const created = await call('POST', '/blueprints', blueprint('conformance'));
    expect(created.status).toBe(201);
    const id = (ids.blueprint = created.body.id);
    expect((await call('POST', '/blueprints', blueprint('conformance'))).status).toBe(422);
    expect((await call('POST', '/blueprints', blueprint('', { colour: 'blue' }))).status).toBe(400);
    for (const path of ['/blueprints', '/blueprints?search=CONF', `/blueprints/${id}`, `/blueprints/${id}/export`]) expect((await call('GET', path)).status, path).toBe(200);
    expect((await call('PUT', `/blueprints/${id}`, blueprint('conformance', { description: 'v2' }))).status).toBe(200);
    expect((await call('GET', `/blueprints/${id}?version=1`)).status).toBe(200);
    expect((await call('PUT', `/blueprints/${MISSING}`, blueprint('x'))).status).toBe(404);
    expect((await call('PUT', `/blueprints/${id}`, { name: 'x' })).status).toBe(400);
    const composed = await call('POST', `/blueprints/${id}/compose`, { image_types: ['guest-image'] });
    expect(composed.status).toBe(201);
    expect((await call('POST', `/blueprints/${id}/compose`, { image_types: 'aws' })).status).toBe(400);
    for (const path of [`/blueprints/${id}/composes`, `/blueprints/${id}/composes?blueprint_version=-1&ignoreImageTypes=aws`]) expect((await call('GET', path)).status, path).toBe(200);
    expect((await call('POST', `/experimental/blueprints/${id}/fixup`)).status).toBe(200);
    for (const [method, path] of [['GET', '/blueprints?limit=500'], ['GET', `/blueprints/${MISSING}`], ['GET', `/blueprints/${id}?version=9`], ['GET', `/blueprints/${MISSING}/export`], ['POST', `/blueprints/${MISSING}/compose`], ['GET', `/blueprints/${MISSING}/composes`], ['POST', `/experimental/blueprints/${MISSING}/fixup`], ['DELETE', `/blueprints/${MISSING}`]] as const) {
      expect((await call(method, path)).status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
    }
    expect((await call('DELETE', `/blueprints/${id}`)).status).toBe(204);
    // Saved without an upload request (ours is optional): read back with the one it gets, as the hosted one requires.
    const plain = await call('POST', '/blueprints', blueprint('no-upload', { image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }] }));
    expect((await call('GET', `/blueprints/${plain.body.id}`)).body.image_requests[0].upload_request).toEqual({ type: 'aws.s3', options: {} });
  });

  it('OpenSCAP and experimental operations', async () => {
    expect((await call('GET', '/oscap/centos-9/profiles')).status).toBe(200);
    for (const path of ['/oscap/nope/profiles', '/oscap/centos-9/xccdf_org.ssgproject.content_profile_cis/customizations', `/oscap/${MISSING}/centos-9/policy_customizations`, '/oscap/bad/centos-9/policy_customizations']) {
      expect((await call('GET', path)).status, path).toBe(400);
    }
    expect((await call('POST', '/experimental/recommendations', { packages: ['nginx'], recommendedPackages: 2, distribution: 'rhel9' })).body.packages).toEqual(['certbot', 'mod_ssl']);
    expect((await call('POST', '/experimental/recommendations', { packages: ['nginx'], recommendedPackages: 2, distribution: 'rhel8' })).status).toBe(400);
  });

  it('refusals at the edge: no token (401), a body that is not JSON (415), malformed JSON (400)', async () => {
    const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
      const res = await fetch(`${api}${path}`, { method, headers, body });
      const text = await res.text();
      const answer = { method, path, status: res.status, contentType: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
      checked.push({ ...createChecker().check(answer), request: `${method} ${path} (${JSON.stringify(headers)})` });
      return res.status;
    };
    expect(await send('GET', '/composes', {})).toBe(401);
    expect(await send('GET', '/blueprints', { authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await send('POST', '/compose', { ...(await as(ORG)), 'content-type': 'text/plain' }, 'hello')).toBe(415);
    expect(await send('POST', '/blueprints', { ...(await as(ORG)), 'content-type': 'application/json' }, '{"name":')).toBe(400);
  });

  it('quotas and the request rate: 403 naming the quota, 429, both in the error format', async () => {
    const limited = await startLocalStack({
      dataDir: mkdtempSync(join(tmpdir(), 'ibs-conformance-quota-')),
      port: 0,
      runners: 0,
      quotas: { buildsPerWindow: 1, windowSeconds: 3600, concurrentBuilds: 10 },
      requestRate: { requests: 4, windowSeconds: 3600 },
      log: createLogger({}, { write: () => {} }),
    });
    try {
      const target = { api: `${limited.url}/api/image-builder/v1`, as: tokenHeaders(limited) };
      expect((await call('POST', '/compose', tar(), ORG, target)).status).toBe(201);
      expect((await call('POST', '/compose', tar(), ORG, target)).status).toBe(403);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/composes', undefined, ORG, target)).status);
      expect(statuses).toContain(429);
    } finally {
      await limited.stop();
    }
  });

  it('the exception list names exactly the distributions and image types we add to the hosted enumerations', () => {
    const raw = parse(readFileSync(HOSTED_SPEC_PATH, 'utf8')) as { components: { schemas: Record<string, { enum: string[] }> } };
    const hostedEnum = (name: string) => raw.components.schemas[name]!.enum;
    const ours = { Distributions: new Set<string>(), ImageTypes: new Set<string>() };
    for (const d of listDistributions()) {
      ours.Distributions.add(d.name);
      for (const a of d.architectures) for (const t of a.imageTypes) for (const n of [t.name, ...t.aliases]) ours.ImageTypes.add(n);
    }
    for (const [name, values] of Object.entries(ours)) {
      expect([...values].filter((v) => !hostedEnum(name).includes(v)).sort(), name).toEqual(HOSTED_EXCEPTIONS.enumValues[name]);
    }
  });

  it('deleting composes', async () => {
    expect((await call('DELETE', `/composes/${ids.cancelled}`)).status).toBe(200);
    expect((await call('DELETE', `/composes/${ids.cancelled}`)).status).toBe(404);
  });

  it('every answer conforms, and every operation of the hosted spec gave a success and an error answer', () => {
    const problems = checked.filter((c) => c.problems.length > 0);
    expect(problems, JSON.stringify(problems.slice(0, 8), null, 2)).toEqual([]);
    const hostedOperations = Object.values(spec!.paths).flatMap((item) => Object.values(item).map((op) => (op as { operationId?: string }).operationId).filter(Boolean));
    expect(hostedOperations).toHaveLength(25);
    const withStatus = (test: (s: number) => boolean) => new Set(checked.filter((c) => c.against === 'hosted' && test(c.status)).map((c) => c.operationId));
    const succeeded = withStatus((s) => s < 300);
    const failed = withStatus((s) => s >= 400);
    expect(hostedOperations.filter((op) => !NO_SUCCESS.includes(op!) && !succeeded.has(op!)), 'operations without a success answer').toEqual([]);
    expect(hostedOperations.filter((op) => !NO_ERROR.includes(op!) && !failed.has(op!)), 'operations without an error answer').toEqual([]);
    expect(checked.filter((c) => c.status === 500), 'internal errors').toEqual([]);
  });
});
