/**
 * composer-cli's workflow over the Weldr unix socket of the local stack (runner with the osbuild test double): push a
 * TOML blueprint, list/show it, depsolve, start a compose of test-distro-1, watch queue and status, then fetch log,
 * logs, metadata, results and image; the blueprint is the hosted API's blueprint of the socket's organization.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { DOUBLE, FAST_ENV, tarMembers, waitFor } from '../runner/helpers.ts';
import type { Depsolver } from '../../layers/src/packages/package-set.ts';
import { composerCli } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

const ORG = 'weldr-org';
/** A depsolver that knows two packages: what the test distribution's empty repositories cannot give. */
const depsolver: Depsolver = {
  async resolve({ sets }) {
    const known = { tmux: { version: '3.4', release: '1.fc40' }, vim: { version: '9.1', release: '2.fc40' } } as Record<string, { version: string; release: string }>;
    return Object.fromEntries(
      Object.entries(sets).map(([name, set]) => {
        const missing = set.include.find((n) => !known[n.replace(/-[\d.*]+$/, '')]);
        if (missing) throw new Error(`No match for argument: ${missing}`);
        return [name, set.include.map((n) => n.replace(/-[\d.*]+$/, '')).map((n) => ({ name: n, epoch: 0, arch: 'x86_64', ...known[n], checksum: 'sha256:00', remoteLocation: `http://127.0.0.1:9/${n}.rpm`, repoId: 'r' }))];
      }),
    );
  },
  async searchPackages() {
    return { total: 0, packages: [] };
  },
};

const BLUEPRINT = `name = "weldr-base"
description = "A blueprint pushed with composer-cli"
version = "0.0.1"
distro = "test-distro-1"

[customizations]
hostname = "weldr-host"
`;

const TOOLS = `name = "weldr-tools"
distro = "centos-9"

[[packages]]
name = "tmux"
version = "*"
`;

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack(ORG, 'test-distro-1', { runners: 1, runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE }, depsolver }));
}, 60_000);
afterAll(() => stack?.stop());

describe('Weldr API on the unix socket', () => {
  it('serves /api/status on a socket of mode 0660', async () => {
    expect(statSync(stack.weldr!.socketPath).mode & 0o777).toBe(0o660);
    const status = await cli.status();
    expect(status.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(status.json()).toEqual({ api: '1', db_supported: true, db_version: '0', schema_version: '0', backend: 'osbuild-composer', build: expect.any(String), msgs: [] });
  });

  it('pushes, lists, shows and bumps a TOML blueprint; the hosted API sees it in the socket organization', async () => {
    expect((await cli.pushToml(BLUEPRINT)).json()).toEqual({ status: true });
    const list = (await cli.getAll('/blueprints/list')).json();
    expect(list).toEqual({ total: 1, offset: 0, limit: 1, blueprints: ['weldr-base'] });
    const info = (await cli.get('/blueprints/info/weldr-base')).json<{ blueprints: Record<string, unknown>[]; changes: unknown[]; errors: unknown[] }>();
    expect(info.blueprints[0]).toMatchObject({ name: 'weldr-base', version: '0.0.1', distro: 'test-distro-1', packages: [], modules: [], groups: [], customizations: { hostname: 'weldr-host' } });
    expect(info.changes).toEqual([{ changed: false, name: 'weldr-base' }]);
    expect(info.errors).toEqual([]);
    // Pushing the same version again bumps the patch level, as lorax does.
    await cli.pushToml(BLUEPRINT);
    const toml = await cli.get('/blueprints/info/weldr-base?format=toml');
    expect(toml.text()).toMatch(/^version = "0\.0\.2"$/m);
    const changes = (await cli.get('/blueprints/changes/weldr-base')).json<{ blueprints: { changes: { commit: string; message: string }[]; total: number }[] }>();
    expect(changes.blueprints[0].total).toBe(2);
    expect(changes.blueprints[0].changes[0].message).toBe('Recipe weldr-base, version 0.0.1 saved.');
    expect(changes.blueprints[0].changes[0].commit).toMatch(/^[0-9a-f]{40}$/);

    const token = await stack.mintToken(ORG);
    const hosted = (await (await fetch(`${stack.url}/api/image-builder/v1/blueprints?name=weldr-base`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      data: { name: string; version: number }[];
    };
    expect(hosted.data).toEqual([expect.objectContaining({ name: 'weldr-base', version: 2 })]);
    const other = await stack.mintToken('another-org');
    const none = (await (await fetch(`${stack.url}/api/image-builder/v1/blueprints`, { headers: { authorization: `Bearer ${other}` } })).json()) as { data: unknown[] };
    expect(none.data).toEqual([]);
  });

  it('depsolves and freezes a blueprint with packages (a real distribution: the test one installs none)', async () => {
    expect((await cli.pushToml(TOOLS)).json()).toEqual({ status: true });
    const depsolved = (await cli.get('/blueprints/depsolve/weldr-tools')).json<{ blueprints: { dependencies: Record<string, unknown>[] }[]; errors: unknown[] }>();
    expect(depsolved.errors).toEqual([]);
    expect(depsolved.blueprints[0].dependencies).toEqual([
      { name: 'tmux', epoch: 0, version: '3.4', release: '1.fc40', arch: 'x86_64', remote_location: 'http://127.0.0.1:9/tmux.rpm', checksum: 'sha256:00' },
    ]);
    const frozen = await cli.get('/blueprints/freeze/weldr-tools?format=toml');
    expect(frozen.text()).toMatch(/version = "3\.4-1\.fc40\.x86_64"/);
  });

  it('builds an image: compose start, queue, status, finished, log, logs, metadata, results, image', { timeout: 90_000 }, async () => {
    const types = (await cli.get('/compose/types')).json();
    expect(types).toEqual({ types: [{ name: 'ami', enabled: true }, { name: 'tar', enabled: true }] });
    const started = (await cli.startCompose('weldr-base', 'tar')).json<{ build_id: string; status: boolean; warnings: null }>();
    expect(started).toEqual({ build_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: true, warnings: null });
    const id = started.build_id;
    const queue = (await cli.get('/compose/queue')).json<{ new: { id: string }[]; run: { id: string }[] }>();
    expect([...queue.new, ...queue.run].map((c) => c.id)).toContain(id);

    const entry = await waitFor('compose FINISHED', async () => {
      const { uuids } = (await cli.get(`/compose/status/${id}`)).json<{ uuids: Record<string, unknown>[] }>();
      if (uuids[0]?.queue_status === 'FAILED') throw new Error(`compose failed: ${(await cli.get(`/compose/log/${id}`)).text()}`);
      return uuids[0]?.queue_status === 'FINISHED' ? uuids[0] : undefined;
    }, 80_000, 250);
    expect(entry).toMatchObject({ id, blueprint: 'weldr-base', version: '0.0.2', compose_type: 'tar', queue_status: 'FINISHED', image_size: 0 });
    expect(typeof entry.job_created).toBe('number');
    expect(entry.job_finished as number).toBeGreaterThanOrEqual(entry.job_created as number);
    expect((await cli.get('/compose/finished')).json<{ finished: { id: string }[] }>().finished.map((c) => c.id)).toEqual([id]);
    expect((await cli.get('/compose/failed')).json()).toEqual({ failed: [] });

    const info = (await cli.get(`/compose/info/${id}`)).json();
    expect(info).toMatchObject({ id, config: '', commit: '', compose_type: 'tar', queue_status: 'FINISHED', blueprint: { name: 'weldr-base', version: '0.0.2' } });

    expect((await cli.get(`/compose/log/${id}?size=1024`)).text().length).toBeGreaterThan(0);
    const logs = await cli.get(`/compose/logs/${id}`);
    expect(logs.headers['content-disposition']).toBe(`attachment; filename=${id}-logs.tar`);
    expect(tarMembers(logs.body)).toEqual(['logs/osbuild.log']);
    const metadata = await cli.get(`/compose/metadata/${id}`);
    expect(metadata.headers['content-disposition']).toBe(`attachment; filename=${id}-metadata.tar`);
    expect(tarMembers(metadata.body)).toEqual([`${id}.json`]);
    const results = await cli.get(`/compose/results/${id}`);
    expect(results.headers['content-disposition']).toBe(`attachment; filename=${id}.tar`);
    expect(tarMembers(results.body)).toEqual([`${id}.json`, 'logs/osbuild.log', `${id}-root.tar`]);
    const image = await cli.get(`/compose/image/${id}`);
    expect(image.headers['content-disposition']).toBe(`attachment; filename=${id}-root.tar`);
    expect(image.headers['content-type']).toBe('application/x-tar');
    expect(Number(image.headers['content-length'])).toBe(image.body.length);
    expect(tarMembers(image.body).length).toBeGreaterThan(0);

    // The same compose through the hosted API of the socket's organization.
    const token = await stack.mintToken(ORG);
    const hosted = await fetch(`${stack.url}/api/image-builder/v1/composes/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(hosted.status).toBe(200);
    expect(await hosted.json()).toMatchObject({ request: { distribution: 'test-distro-1', image_name: 'weldr-base', image_requests: [{ image_type: 'tar' }] } });

    expect((await cli.delete(`/compose/delete/${id}`)).json()).toEqual({ uuids: [{ uuid: id, status: true }], errors: [] });
    expect((await fetch(`${stack.url}/api/image-builder/v1/composes/${id}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect(await stack.deps.blobs.list(`artifacts/${ORG}/${id}/`)).toEqual([]);
    expect((await cli.get(`/compose/info/${id}`)).json()).toEqual({ status: false, errors: [{ id: 'UnknownUUID', msg: `${id} is not a valid build uuid` }] });
  });
});
