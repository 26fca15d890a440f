import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { tokenHeaders } from '../support/auth.ts';

let stack: LocalStack;
let api: string;

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-bp-api-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
  api = `${stack.url}/api/image-builder/v1`;
});
afterAll(() => stack.stop());

const call = async (method: string, path: string, org: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(await tokenHeaders(stack)(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const blueprint = (overrides: Record<string, unknown> = {}) => ({
  name: 'web-server',
  description: 'nginx on the test distribution',
  distribution: 'test-distro-1',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }],
  customizations: { hostname: 'web', files: [{ path: '/etc/motd', data: 'hello\n' }] },
  ...overrides,
});

describe('blueprints through the hosted API', () => {
  it('create, read, update to a new version, read the old version, export, list, delete', async () => {
    const org = 'org-bp-1';
    const created = await call('POST', '/blueprints', org, blueprint());
    expect(created.status).toBe(201);
    const { id } = created.body as { id: string };

    const read = await call('GET', `/blueprints/${id}`, org);
    expect(read.body).toMatchObject({ id, name: 'web-server', distribution: 'test-distro-1', customizations: { hostname: 'web' }, lint: { errors: [], warnings: [] } });

    expect((await call('PUT', `/blueprints/${id}`, org, blueprint({ description: 'v2', customizations: { hostname: 'web2' } }))).status).toBe(200);
    expect((await call('GET', `/blueprints/${id}`, org)).body).toMatchObject({ description: 'v2', customizations: { hostname: 'web2' } });
    expect((await call('GET', `/blueprints/${id}?version=1`, org)).body).toMatchObject({ description: 'nginx on the test distribution', customizations: { hostname: 'web' } });
    expect((await call('GET', `/blueprints/${id}?version=7`, org)).status).toBe(404);

    const exported = await call('GET', `/blueprints/${id}/export`, org);
    expect(exported.body).toMatchObject({ name: 'web-server', description: 'v2', customizations: { hostname: 'web2' }, metadata: { parent_id: id, is_on_prem: true } });

    const list = await call('GET', '/blueprints?search=WEB', org);
    expect(list.body).toMatchObject({ meta: { count: 1 }, data: [{ id, name: 'web-server', version: 2 }] });
    expect((await call('GET', '/blueprints?name=other', org)).body.meta.count).toBe(0);

    expect((await call('DELETE', `/blueprints/${id}`, org)).status).toBe(204);
    expect((await call('GET', `/blueprints/${id}`, org)).status).toBe(404);
    expect((await call('POST', '/blueprints', org, blueprint())).status).toBe(201);
  });

  it('names are unique per organization (422), and another organization sees nothing (404)', async () => {
    const { body } = await call('POST', '/blueprints', 'org-bp-2', blueprint({ name: 'unique' }));
    const again = await call('POST', '/blueprints', 'org-bp-2', blueprint({ name: 'unique' }));
    expect(again.status).toBe(422);
    expect(again.body.errors[0].detail).toMatch(/named "unique" already exists/);
    expect((await call('POST', '/blueprints', 'org-bp-3', blueprint({ name: 'unique' }))).status).toBe(201);
    for (const [method, path] of [['GET', ''], ['GET', '/export'], ['DELETE', ''], ['POST', '/compose']] as const) {
      expect((await call(method, `/blueprints/${body.id}${path}`, 'org-bp-3')).status, `${method} ${path}`).toBe(404);
    }
  });

  it('bad blueprints are refused naming the field, and nothing is stored', async () => {
    const org = 'org-bp-4';
    const cases: [Record<string, unknown>, RegExp][] = [
      [blueprint({ colour: 'blue' }), /colour: is not a blueprint field/],
      [blueprint({ name: '' }), /name: is required/],
      [blueprint({ image_requests: [{ architecture: 'x86_64', image_type: 'nope' }] }), /image_requests\[0\]\.image_type/],
      [blueprint({ customizations: undefined }), /customizations: is required/],
    ];
    for (const [body, detail] of cases) {
      const res = await call('POST', '/blueprints', org, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].detail).toMatch(detail);
    }
    expect((await call('GET', '/blueprints', org)).body.meta.count).toBe(0);
  });

  it('composes a blueprint: one compose per image request, listed with the blueprint and its version', async () => {
    const org = 'org-bp-5';
    const { body } = await call('POST', '/blueprints', org, blueprint({ name: 'to-build' }));
    const started = await call('POST', `/blueprints/${body.id}/compose`, org, {});
    expect(started.status).toBe(201);
    expect(started.body).toHaveLength(1);
    await call('PUT', `/blueprints/${body.id}`, org, blueprint({ name: 'to-build', description: 'v2' }));
    await call('POST', `/blueprints/${body.id}/compose`, org);
    const all = await call('GET', `/blueprints/${body.id}/composes`, org);
    expect(all.body.meta.count).toBe(2);
    expect(all.body.data.map((c: { blueprint_version: number }) => c.blueprint_version).sort()).toEqual([1, 2]);
    const v1 = await call('GET', `/blueprints/${body.id}/composes?blueprint_version=1`, org);
    expect(v1.body.data).toEqual([expect.objectContaining({ id: started.body[0].id, blueprint_id: body.id, blueprint_version: 1 })]);
    const status = await call('GET', `/composes/${started.body[0].id}`, org);
    expect(status.status).toBe(200);
    expect((await call('POST', `/blueprints/${body.id}/compose`, org, { image_types: ['guest-image'] })).status).toBe(400);
  });

  it('stores passwords only as hashes, never shows them, and keeps them when a blueprint read back is saved again', async () => {
    const org = 'org-bp-6';
    const withUser = blueprint({
      name: 'with-user',
      distribution: 'fedora-44',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image', upload_request: { type: 'aws.s3', options: {} } }],
      customizations: { users: [{ name: 'ops', password: 'plain-secret', groups: ['wheel'] }] },
    });
    const { body } = await call('POST', '/blueprints', org, withUser);
    const stored = await stack.deps.blueprints!.get(org, body.id);
    const hash = (stored!.body.customizations as { users: { password: string }[] }).users[0].password;
    expect(hash).toMatch(/^\$6\$/);
    const shown = await call('GET', `/blueprints/${body.id}`, org);
    expect(JSON.stringify(shown.body)).not.toMatch(/plain-secret|\$6\$/);
    expect(shown.body.customizations.users[0]).toEqual({ name: 'ops', groups: ['wheel'], hasPassword: true });
    expect(JSON.stringify((await call('GET', `/blueprints/${body.id}/export`, org)).body)).not.toMatch(/plain-secret|\$6\$/);

    const { id, lint, ...again } = shown.body;
    expect((await call('PUT', `/blueprints/${id}`, org, { ...again, description: 'v2' })).status).toBe(200);
    expect(lint).toBeDefined();
    const users = ((await stack.deps.blueprints!.get(org, id))!.body.customizations as { users: { password: string }[] }).users;
    expect(users[0].password).toBe(hash);
  });
});

