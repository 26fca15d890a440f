import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { renderOpenapiFiles } from '../../scripts/gen-openapi.ts';
import { SERVICE_VERSION } from '../../layers/src/version.ts';
import { tokenHeaders } from '../support/auth.ts';

let stack: LocalStack;
let api: string;
let as: ReturnType<typeof tokenHeaders>;

beforeAll(async () => {
  stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'ibs-api-')),
    port: 0,
    runners: 0,
    log: createLogger({}, { write: () => {} }),
  });
  api = `${stack.url}/api/image-builder/v1`;
  as = tokenHeaders(stack);
});
afterAll(() => stack.stop());

const post = async (path: string, body: unknown, headers?: Record<string, string>) =>
  fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? (await as())) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const tarRequest = (overrides: Record<string, unknown> = {}) => ({
  distribution: 'test-distro-1',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar' }],
  ...overrides,
});

async function expectError(response: Response, status: number, detail: RegExp) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { errors: { title: string; detail: string }[] };
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0].title).toEqual(expect.any(String));
  expect(body.errors[0].detail).toMatch(detail);
}

async function expectNothingLeftBehind(org: string) {
  expect((await stack.deps.store.list(org, { limit: 10, offset: 0 })).total).toBe(0);
  expect(await stack.deps.queue.depth('manifest')).toEqual({ visible: 0, inFlight: 0 });
}

describe('meta endpoints', () => {
  it('serves version, readiness and the OpenAPI document', async () => {
    expect(await (await fetch(`${api}/version`)).json()).toEqual({ version: SERVICE_VERSION });
    expect(await (await fetch(`${api}/ready`)).json()).toMatchObject({ readiness: 'ready' });
    const doc = (await (await fetch(`${api}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/compose');
  });

  it('keeps the version equal to package.json and the generated OpenAPI files fresh', async () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).version).toBe(SERVICE_VERSION);
    for (const [path, content] of Object.entries(await renderOpenapiFiles())) {
      expect(readFileSync(path, 'utf8'), `${path} is stale: run npm run gen:openapi`).toBe(content);
    }
  });

  it('lists distributions and architectures with image types', async () => {
    const distros = (await (await fetch(`${api}/distributions`, { headers: await as() })).json()) as { name: string }[];
    expect(distros.map((d) => d.name)).toContain('test-distro-1');
    const arches = (await (await fetch(`${api}/architectures/test-distro-1`, { headers: await as() })).json()) as { arch: string; image_types: string[] }[];
    expect(arches.find((a) => a.arch === 'x86_64')?.image_types).toContain('tar');
    await expectError(await fetch(`${api}/architectures/nope-1`, { headers: await as() }), 400, /unknown distribution "nope-1" \(allowed: .*test-distro-1/);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    await expectError(await fetch(`${api}/nothing-here`), 404, /no route/);
    await expectError(await fetch(`${api}/compose`), 405, /allowed: POST/);
  });
});

describe('POST /compose rejects bad input and leaves nothing behind', () => {
  const org = 'bad-input-org';
  let h: Record<string, string>;
  beforeAll(async () => {
    h = await as(org);
  });

  it('malformed JSON → 400', async () => {
    await expectError(await post('/compose', '{"distribution": ', h), 400, /not valid JSON/);
    await expectNothingLeftBehind(org);
  });

  it('unknown distribution, architecture and image type → 400 naming the allowed values', async () => {
    await expectError(await post('/compose', tarRequest({ distribution: 'nope-1' }), h), 400, /^distribution: unknown distribution "nope-1" \(allowed: .*test-distro-1/);
    await expectError(
      await post('/compose', tarRequest({ image_requests: [{ architecture: 's390x', image_type: 'tar' }] }), h),
      400,
      /image_requests\[0\]\.architecture: .*"s390x".*allowed: x86_64, aarch64/,
    );
    await expectError(
      await post('/compose', tarRequest({ image_requests: [{ architecture: 'x86_64', image_type: 'qcow9' }] }), h),
      400,
      /image_requests\[0\]\.image_type: image type "qcow9" .*allowed: .*tar/,
    );
    await expectNothingLeftBehind(org);
  });

  it('unknown fields → 400 naming the field', async () => {
    await expectError(await post('/compose', tarRequest({ colour: 'blue' }), h), 400, /unknown field "colour"/);
    await expectError(
      await post('/compose', tarRequest({ customizations: { hostnam: 'x' } }), h),
      400,
      /customizations: unknown field "hostnam"/,
    );
    await expectError(await post('/compose', { image_requests: [] }, h), 400, /distribution|image_requests/);
    await expectNothingLeftBehind(org);
  });

  it('customizations the image type does not support → 400', async () => {
    await expectError(
      await post('/compose', tarRequest({ customizations: { users: [{ name: 'alice', ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example' }] } }), h),
      400,
      /customizations\.users?: not supported by image type tar/,
    );
    await expectError(
      await post('/compose', tarRequest({ customizations: { files: [{ path: 'relative/x', data: '' }] } }), h),
      400,
      /customizations\.files\[0\]\.path/,
    );
    await expectNothingLeftBehind(org);
  });

  it('body over 1 MiB → 413', async () => {
    const big = JSON.stringify(tarRequest({ image_name: 'x'.repeat(1024 * 1024) }));
    await expectError(await post('/compose', big, h), 413, /1 MiB/);
    await expectNothingLeftBehind(org);
  });

  it('no token → 401 with a Bearer challenge, X-Org-Id alone is not enough; nothing written', async () => {
    const refused = await post('/compose', tarRequest(), { 'x-org-id': org });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="image-builder"');
    await expectError(refused, 401, /needs a bearer token/);
    await expectNothingLeftBehind(org);
  });
});

describe('compose lifecycle without a runner', () => {
  it('accepts a compose, generates its manifest and queues the build; other organizations cannot see it', async () => {
    const created = await post('/compose', tarRequest({ image_name: 'demo', customizations: { hostname: 'demo' } }), await as('org-a'));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await expect
      .poll(async () => ((await (await fetch(`${api}/composes/${id}`, { headers: await as('org-a') })).json()) as { state: string }).state, { timeout: 60_000 })
      .toBe('queued');
    const status = (await (await fetch(`${api}/composes/${id}`, { headers: await as('org-a') })).json()) as {
      image_status: { status: string };
      request: unknown;
    };
    expect(status.image_status.status).toBe('pending');
    expect(status.request).toMatchObject({ distribution: 'test-distro-1', image_name: 'demo' });

    const manifests = (await (await fetch(`${api}/composes/${id}/manifests`, { headers: await as('org-a') })).json()) as {
      manifests: { version: string; pipelines: { name: string }[] }[];
    };
    expect(manifests.manifests[0].version).toBe('2');
    expect(manifests.manifests[0].pipelines.map((p) => p.name)).toEqual(['os', 'archive']);
    expect(await stack.deps.queue.depth('build-x86_64')).toMatchObject({ visible: 1 });

    const list = (await (await fetch(`${api}/composes`, { headers: await as('org-a') })).json()) as { meta: { count: number }; data: { id: string }[] };
    expect(list.meta.count).toBe(1);
    expect(list.data[0].id).toBe(id);

    await expectError(await fetch(`${api}/composes/${id}`, { headers: await as('org-b') }), 404, /not found/);
    await expectError(await post(`/composes/${id}/cancel`, '', await as('org-b')), 404, /not found/);
    expect(((await (await fetch(`${api}/composes`, { headers: await as('org-b') })).json()) as { meta: { count: number } }).meta.count).toBe(0);
    // Manifest generation is background work: on a loaded machine it takes longer than the default 30 s allows.
  }, 90_000);

  it('cancels a queued compose: image status failure saying it was cancelled; a second cancel is a conflict', async () => {
    const { id } = (await (await post('/compose', tarRequest(), await as('org-c'))).json()) as { id: string };
    const cancelled = (await (await post(`/composes/${id}/cancel`, '', await as('org-c'))).json()) as {
      state: string;
      image_status: { status: string; error: { reason: string } };
    };
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.image_status.status).toBe('failure');
    expect(cancelled.image_status.error.reason).toMatch(/cancelled/);
    await expectError(await post(`/composes/${id}/cancel`, '', await as('org-c')), 409, /already finished/);
  });

  it('unknown compose id → 404, malformed id → 400, logs start empty', async () => {
    await expectError(await fetch(`${api}/composes/123e4567-e89b-12d3-a456-426655440000`, { headers: await as() }), 404, /not found/);
    await expectError(await fetch(`${api}/composes/not-a-uuid`, { headers: await as() }), 400, /composeId: "not-a-uuid" is not a UUID/);
    const { id } = (await (await post('/compose', tarRequest())).json()) as { id: string };
    expect(await (await fetch(`${api}/composes/${id}/logs`, { headers: await as() })).json()).toMatchObject({ offset: 0, next_offset: 0, logs: '' });
    await expectError(await fetch(`${api}/composes/${id}/logs?offset=-1`, { headers: await as() }), 400, /offset/);
  });
});

describe('low storage', () => {
  it('reports the disk in /ready, and below the minimum refuses new composes with 507 writing nothing', async () => {
    const ready = (await (await fetch(`${api}/ready`)).json()) as { readiness: string; disk: { free_bytes: number; min_free_bytes: number } };
    expect(ready.readiness).toBe('ready');
    expect(ready.disk.free_bytes).toBeGreaterThan(ready.disk.min_free_bytes);

    const org = 'org-low-disk';
    const original = stack.deps.storage;
    stack.deps.storage = async () => ({ freeBytes: 10 * 2 ** 20, minFreeBytes: 256 * 2 ** 20 });
    try {
      const notReady = await fetch(`${api}/ready`);
      expect(notReady.status).toBe(503);
      await expectError(await post('/compose', tarRequest(), await as(org)), 507, /low on storage space \(10 MiB free, needs 256 MiB\)/);
      // Refused before anything is written (the manifest queue is shared with the other tests here: the store tells).
      expect((await stack.deps.store.list(org, { limit: 10, offset: 0 })).total).toBe(0);
    } finally {
      stack.deps.storage = original;
    }
  });
});

describe('a damaged record', () => {
  it('fails only itself: the list page shows the others, GET of it is a 500 with a request id', async () => {
    const org = 'org-damaged';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await post('/compose', tarRequest(), await as(org))).json()) as { id: string }).id);
    // Damage one stored document the way a bad disk or a half-applied manual edit would.
    const db = new Database(join(stack.backend.dataDir!, 'ibs.sqlite'));
    db.prepare('UPDATE composes SET doc = ? WHERE org_id = ? AND id = ?').run('{"id": "trunc', org, ids[1]);
    db.close();

    const list = await fetch(`${api}/composes`, { headers: await as(org) });
    expect(list.status).toBe(200);
    const page = (await list.json()) as { data: { id: string }[] };
    expect(page.data.map((c) => c.id).sort()).toEqual([ids[0], ids[2]].sort());
    const one = await fetch(`${api}/composes/${ids[1]}`, { headers: await as(org) });
    expect(one.status).toBe(500);
    expect(((await one.json()) as { errors: { detail: string }[] }).errors[0].detail).toMatch(/request id/);
    expect((await fetch(`${api}/composes/${ids[0]}`, { headers: await as(org) })).status).toBe(200);
  });
});

describe('GET /distributions/{distro}', () => {
  it('gives the architectures and image types (filters by architecture and by image type or alias); unknown → 404', async () => {
    const all = (await (await fetch(`${api}/distributions/fedora-44`, { headers: await as() })).json()) as { name: string; releasever: string; architectures: Record<string, { image_types: Record<string, { aliases: string[]; boot_mode: string; default_size: number }> }> };
    expect(all).toMatchObject({ name: 'fedora-44', releasever: '44' });
    expect(Object.keys(all.architectures).sort()).toEqual(['aarch64', 'x86_64']);
    expect(all.architectures.x86_64.image_types.aws).toMatchObject({ aliases: expect.arrayContaining(['ami']), boot_mode: expect.any(String) });
    const filtered = (await (await fetch(`${api}/distributions/fedora-44?architecture=x86_64&image_type=ami`, { headers: await as() })).json()) as typeof all;
    expect(Object.keys(filtered.architectures)).toEqual(['x86_64']);
    expect(Object.keys(filtered.architectures.x86_64.image_types)).toEqual(['aws']);
    const missing = await fetch(`${api}/distributions/plan9`, { headers: await as() });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: { detail: string }[] }).errors[0].detail).toMatch(/distribution "plan9" not found \(available: .*fedora-44/);
  });
});

describe('DELETE /composes/{id}', () => {
  it('soft-deletes: gone from status, lists and logs (404), an unfinished compose is cancelled; other organizations get 404', async () => {
    const org = 'org-delete';
    const { id } = (await (await post('/compose', tarRequest(), await as(org))).json()) as { id: string };
    const headers = await as(org);
    expect((await fetch(`${api}/composes/${id}`, { method: 'DELETE', headers: await as('someone-else') })).status).toBe(404);
    expect((await fetch(`${api}/composes/${id}`, { method: 'DELETE', headers })).status).toBe(200);
    expect((await fetch(`${api}/composes/${id}`, { headers })).status).toBe(404);
    expect((await fetch(`${api}/composes/${id}/logs`, { headers })).status).toBe(404);
    expect(((await (await fetch(`${api}/composes`, { headers })).json()) as { meta: { count: number } }).meta.count).toBe(0);
    expect((await stack.deps.store.get(org, id))?.state).toBe('cancelled');
    expect((await fetch(`${api}/composes/${id}`, { method: 'DELETE', headers })).status).toBe(404);
  });
});
