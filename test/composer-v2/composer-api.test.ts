/**
 * Issue 16: osbuild-composer's cloud API v2 on the local stack (bearer tokens, a runner on the osbuild test double, a
 * stub depsolver): a compose of the test distribution end to end, the error catalogue, refusals with composer's ids,
 * isolation between organizations, and the koji-osbuild plugin's polling sequence; every answer is checked against
 * the v2 spec (composer-conformance.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { Depsolver } from '../../layers/src/packages/package-set.ts';
import { COMPOSER_ERRORS } from '../../functions/composer-v2/composer-errors.ts';
import { createStubDepsolver } from '../fuzz/hostile-requests.ts';
import { DOUBLE, FAST_ENV, tarMembers } from '../runner/helpers.ts';
import { tokenHeaders } from '../support/auth.ts';
import { COMPOSER_SPEC_PATH, createComposerChecker, loadComposerSpec, type ComposerChecked } from './composer-conformance.ts';

const spec = loadComposerSpec();
const ORG = 'composer-org';
const OTHER_ORG = 'composer-other';
const MISSING = '123e4567-e89b-12d3-a456-426655440000';

let stack: LocalStack;
let base: string;
let as: ReturnType<typeof tokenHeaders>;
let checker: ReturnType<typeof createComposerChecker> | undefined;
const checked: (ComposerChecked & { request: string })[] = [];

function stubDepsolver(): Depsolver {
  return {
    ...createStubDepsolver(),
    searchPackages: async (query) => ({
      total: 2,
      packages: [
        { name: query.search.replace(/\*/g, ''), summary: 'the package', version: '1.0', release: '1.fc43', epoch: 0, arch: 'x86_64', repoId: 'fedora' },
        { name: `${query.search.replace(/\*/g, '')}-devel`, summary: 'its headers', version: '1.0', release: '1.fc43', epoch: 0, arch: 'x86_64', repoId: 'fedora' },
      ],
    }),
  };
}

interface Sent {
  status: number;
  body: any;
  headers: Headers;
}

/** One request below the v2 base, its answer checked against the spec. */
async function call(method: string, path: string, body?: unknown, options: { org?: string; raw?: string; contentType?: string; token?: boolean } = {}): Promise<Sent> {
  const auth = options.token === false ? {} : await as(options.org ?? ORG);
  const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }) },
    body: payload,
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  checker ??= createComposerChecker(spec!);
  const answer = { method, path: path.split('?')[0]!, status: res.status, contentType: res.headers.get('content-type'), body: parsed };
  if (method === 'GET' && answer.path === '/composes/' && res.status === 200) {
    // composer's GetComposeList sends a plain array of ComposeStatus (null when empty), where its spec names a
    // ComposeList object: the array itself is asserted by the tests, each item is checked as a ComposeStatus.
    expect(Array.isArray(parsed) || parsed === null, 'GET /composes/ answers a plain array (null when empty, as Go encodes a nil slice)').toBe(true);
    for (const item of (parsed ?? []) as { id: string }[]) checked.push({ ...checker.check({ ...answer, path: `/composes/${item.id}`, body: item }), request: `${method} ${path} item` });
  } else {
    checked.push({ ...checker.check(answer), request: `${method} ${path}` });
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const expectError = (answer: Sent, status: number, id: number, operationId?: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body).toMatchObject({ kind: 'Error', id: String(id), code: `IMAGE-BUILDER-COMPOSER-${id}`, href: `/api/image-builder-composer/v2/errors/${id}` });
  if (operationId !== undefined) expect(answer.body.operation_id).toBe(operationId);
};

const tarRequest = (extra: Record<string, unknown> = {}, image: Record<string, unknown> = {}) => ({
  distribution: 'test-distro-1',
  image_request: { architecture: 'x86_64', image_type: 'tar', repositories: [], upload_targets: [{ type: 'aws.s3', upload_options: { region: 'us-east-1' } }], ...image },
  customizations: { hostname: 'composer-v2', files: [{ path: '/etc/motd', data: 'hello from v2\n' }] },
  ...extra,
});

/** Polls GET /composes/{id} (as koji-osbuild does) until the compose status is final; every answer checked. */
async function pollUntilFinal(id: string, org = ORG): Promise<{ body: any; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + 90_000;
  for (;;) {
    const answer = await call('GET', `/composes/${id}`, undefined, { org });
    expect(answer.status).toBe(200);
    const status = answer.body.image_status.status as string;
    if (seen.at(-1) !== status) seen.push(status);
    if (answer.body.status !== 'pending') return { body: answer.body, seen };
    if (Date.now() > deadline) throw new Error(`compose ${id} still pending (${seen.join(' → ')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!spec)(`cloud API v2${spec ? '' : ` (skipped: ${COMPOSER_SPEC_PATH} not found)`}`, () => {
  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir: mkdtempSync(join(tmpdir(), 'ibs-composer-v2-')),
      port: 0,
      runners: 1,
      runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE },
      depsolver: stubDepsolver(),
      log: createLogger({}, { write: () => {} }),
    });
    base = `${stack.url}/api/image-builder-composer/v2`;
    as = tokenHeaders(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('serves the error catalogue and answers every refusal of the edge in it', async () => {
    const list = await call('GET', '/errors');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'ErrorList', page: 0, total: COMPOSER_ERRORS.length, size: COMPOSER_ERRORS.length });
    expect(list.body.items.find((e: any) => e.id === '15')).toMatchObject({ reason: 'Compose with given id not found', operation_id: 'getErrorList' });
    const page = await call('GET', '/errors?page=1&size=10');
    expect(page.body.items.map((e: any) => e.id)).toEqual(COMPOSER_ERRORS.slice(10, 20).map(([id]) => String(id)));
    expect((await call('GET', '/errors/38')).body).toMatchObject({ id: '38', reason: 'Invalid upload target for image type', operation_id: 'getError' });
    expectError(await call('GET', '/errors/abc'), 400, 16, 'getError');
    expectError(await call('GET', '/errors/9999'), 404, 17);
    expectError(await call('GET', '/errors?page=x'), 400, 18);
    expectError(await call('GET', '/errors?size=-1'), 400, 19);

    const anonymous = await call('GET', '/composes/', undefined, { token: false });
    expectError(anonymous, 401, 401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expectError(await call('GET', '/nowhere'), 404, 21);
    expectError(await call('PUT', '/compose'), 405, 22);
    expectError(await call('POST', '/compose', undefined, { raw: '{"distribution":' }), 400, 20, 'postCompose');
    expectError(await call('POST', '/compose', undefined, { raw: 'distribution=x', contentType: 'text/plain' }), 415, 3);
    const openapi = await call('GET', '/openapi');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/compose', '/composes/', '/composes/{id}', '/errors/{id}']));
  });

  it('refuses what it cannot build with composer ids, naming the field', async () => {
    expectError(await call('POST', '/compose', tarRequest({ distribution: 'nope-1' })), 400, 4, 'postCompose');
    expectError(await call('POST', '/compose', tarRequest({}, { architecture: 's390x' })), 400, 5);
    expectError(await call('POST', '/compose', tarRequest({}, { image_type: 'edge-commit' })), 400, 6);
    const gcp = await call('POST', '/compose', tarRequest({}, { upload_targets: [{ type: 'gcp', upload_options: { region: 'x' } }] }));
    expectError(gcp, 400, 38);
    expect(gcp.body.details).toContain('"gcp"');
    const koji = await call('POST', '/compose', tarRequest({ koji: { server: 'https://koji.example/kojihub', task_id: 1, name: 'n', version: '1', release: '1' } }));
    expectError(koji, 400, 38);
    expect(koji.body.details).toMatch(/^koji/);
    const two = tarRequest();
    expectError(await call('POST', '/compose', { ...two, image_request: undefined, image_requests: [two.image_request, two.image_request] }), 400, 25);
    expectError(await call('POST', '/compose', tarRequest({ blueprint: { name: 'bp' } })), 400, 39);
    expectError(await call('POST', '/compose', tarRequest({ customizations: { packages: ['vim'] } })), 400, 35);
    expectError(await call('GET', '/composes/not-a-uuid'), 400, 14, 'getComposeStatus');
    expectError(await call('GET', `/composes/${MISSING}`), 404, 15, 'getComposeStatus');
  });

  it('builds the test distribution end to end: pending → building → success with an aws.s3 link, metadata, manifests, logs, SBOMs', async () => {
    const created = await call('POST', '/compose', tarRequest());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'ComposeId', href: `/api/image-builder-composer/v2/composes/${created.body.id}` });
    const id = created.body.id as string;

    const { body: final, seen } = await pollUntilFinal(id);
    expect(final.status, JSON.stringify(final)).toBe('success');
    expect(seen.at(-1)).toBe('success');
    expect(final.image_status.upload_status).toMatchObject({ status: 'success', type: 'aws.s3' });
    expect(final.image_statuses).toEqual([final.image_status]);
    const image = await fetch(final.image_status.upload_status.options.url);
    expect(image.status).toBe(200);
    expect(tarMembers(Buffer.from(await image.arrayBuffer()))).toEqual(expect.arrayContaining([expect.stringMatching(/etc\/motd$/)]));

    const metadata = await call('GET', `/composes/${id}/metadata`);
    expect(metadata.body).toMatchObject({ kind: 'ComposeMetadata', id });
    // composer's metadata: the request as sent, the image's packages (none for the test distribution), no ostree_commit
    expect(metadata.body.request).toEqual(tarRequest());
    expect(metadata.body.packages).toEqual([]);
    expect(metadata.body).not.toHaveProperty('ostree_commit');
    const manifests = await call('GET', `/composes/${id}/manifests`);
    expect(manifests.body.manifests).toHaveLength(1);
    expect(manifests.body.manifests[0].version).toBe('2');
    const logs = await call('GET', `/composes/${id}/logs`);
    expect(logs.body).toMatchObject({ kind: 'ComposeLogs', id });
    expect(logs.body.image_builds[0].log.length).toBeGreaterThan(0);
    const sboms = await call('GET', `/composes/${id}/sboms`);
    expect(sboms.body).toMatchObject({ kind: 'ComposeSBOMs', id });
    expect(sboms.body.items).toHaveLength(1);
    const list = await call('GET', '/composes/');
    expect(list.body.map((c: any) => c.id)).toContain(id);
    // the same ComposeStatus as GET /composes/{id} (its presigned link signed anew)
    expect(list.body.find((c: any) => c.id === id)).toMatchObject({ kind: 'ComposeStatus', status: 'success', image_status: { status: 'success', upload_status: { type: 'aws.s3' } } });

    // The same compose through the hosted API: one store behind both.
    const hosted = await fetch(`${stack.url}/api/image-builder/v1/composes/${id}`, { headers: await as(ORG) });
    expect(((await hosted.json()) as any).image_status.status).toBe('success');
  }, 120_000);

  it('refuses invalid repositories with composer ids (7: no URL, 29: check_gpg without a key), naming the field', async () => {
    const image = (repositories: unknown[]) => tarRequest({}, { repositories });
    const noUrl = await call('POST', '/compose', image([{ rhsm: false, check_gpg: false }]));
    expectError(noUrl, 400, 7, 'postCompose');
    expect(noUrl.body.details).toContain('image_request.repositories[0]');
    expectError(await call('POST', '/compose', image([{ baseurl: 'http://127.0.0.1:9/', check_gpg: true }])), 400, 29);
    expectError(await call('POST', '/compose', image([{ baseurl: 'http://127.0.0.1:9/', rhsm: true }])), 400, 30);
    const scheme = await call('POST', '/compose', image([{ baseurl: 'ftp://127.0.0.1/repo/' }]));
    expectError(scheme, 400, 30);
    expect(scheme.body.details).toContain('image_request.repositories[0].baseurl');
    expectError(await call('POST', '/compose', image([{ baseurl: 'http://127.0.0.1:9/', gpg_check: true }])), 400, 20);
    const payload = (repository: unknown) => tarRequest({ customizations: { payload_repositories: [repository] } });
    expectError(await call('POST', '/compose', payload({ rhsm: false })), 400, 7);
    expectError(await call('POST', '/compose', payload({ baseurl: 'http://127.0.0.1:9/', check_gpg: true })), 400, 29);
  });

  it('lists composes as composer does: a plain array ordered by id, no paging; metadata gives the request back from the start', async () => {
    const org = 'composer-list';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', '/compose', tarRequest(), { org })).body.id as string);
    const metadata = await call('GET', `/composes/${ids[0]}/metadata`, undefined, { org });
    expect(metadata.body).toMatchObject({ kind: 'ComposeMetadata', id: ids[0], request: tarRequest() });
    // composer's list takes no query parameters: page/size change nothing
    const list = await call('GET', '/composes/?page=1&size=1', undefined, { org });
    expect(list.body.map((c: any) => c.id)).toEqual([...ids].sort());
    expect(list.body.every((c: any) => c.kind === 'ComposeStatus' && c.href === `/api/image-builder-composer/v2/composes/${c.id}`)).toBe(true);
    await call('DELETE', `/composes/${ids[1]}`, undefined, { org });
    expect((await call('GET', '/composes/', undefined, { org })).body.map((c: any) => c.id)).toEqual([ids[0], ids[2]].sort());
    expect((await call('GET', '/composes/', undefined, { org: 'composer-nobody' })).body).toBeNull();
  });

  it('keeps organizations apart: another organization sees none of it', async () => {
    const id = (await call('POST', '/compose', tarRequest())).body.id as string;
    for (const path of [`/composes/${id}`, `/composes/${id}/metadata`, `/composes/${id}/logs`, `/composes/${id}/manifests`, `/composes/${id}/sboms`]) {
      expectError(await call('GET', path, undefined, { org: OTHER_ORG }), 404, 15);
    }
    expectError(await call('DELETE', `/composes/${id}`, undefined, { org: OTHER_ORG }), 404, 15);
    expect(((await call('GET', '/composes/', undefined, { org: OTHER_ORG })).body ?? []).map((c: any) => c.id)).not.toContain(id);
    expect((await call('GET', `/composes/${id}`)).status).toBe(200);
    const deleted = await call('DELETE', `/composes/${id}`);
    expect(deleted.body).toMatchObject({ kind: 'ComposeDeleteStatus', id });
    expectError(await call('GET', `/composes/${id}`), 404, 15);
  });

  it('lists distributions with their repositories, and one with its architectures and image types', async () => {
    const list = await call('GET', '/distributions');
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(expect.arrayContaining(['test-distro-1', 'fedora-43']));
    expect(list.body['fedora-43'].x86_64.length).toBeGreaterThan(0);
    const one = await call('GET', '/distributions/test-distro-1?architecture=x86_64');
    expect(one.body).toMatchObject({ kind: 'DistributionDetails', name: 'test-distro-1' });
    expect(Object.keys(one.body.architectures.x86_64.image_types)).toContain('tar');
    expect(Object.keys((await call('GET', '/distributions/test-distro-1?image_type=tar')).body.architectures.x86_64.image_types)).toEqual(['tar']);
    expectError(await call('GET', '/distributions/nope-1'), 400, 4, 'getDistribution');
  });

  it('depsolves a blueprint and searches packages with the depsolver', async () => {
    const solved = await call('POST', '/depsolve/blueprint', { distribution: 'fedora-43', architecture: 'x86_64', blueprint: { name: 'bp', packages: [{ name: 'nginx' }] } });
    expect(solved.status, JSON.stringify(solved.body)).toBe(200);
    expect(solved.body.packages.map((p: any) => p.name)).toContain('nginx');
    const found = await call('POST', '/search/packages', { distribution: 'fedora-43', architecture: 'x86_64', packages: ['nginx*'] });
    expect(found.body.packages.map((p: any) => p.name).sort()).toEqual(['nginx', 'nginx-devel']);
    const exact = await call('POST', '/search/packages', { distribution: 'fedora-43', architecture: 'x86_64', packages: ['nginx'] });
    expect(exact.body.packages.map((p: any) => p.name)).toEqual(['nginx']);
    expectError(await call('POST', '/search/packages', { distribution: 'nope-1', architecture: 'x86_64', packages: ['x'] }), 400, 4);
  });

  it('every answer matched the v2 spec', () => {
    const bad = checked.filter((c) => c.problems.length > 0);
    expect(checked.length).toBeGreaterThan(40);
    expect(bad.map((c) => `${c.request} → ${c.status}: ${c.problems.join('; ')}`)).toEqual([]);
  });
});
