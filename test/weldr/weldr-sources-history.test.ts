/**
 * Weldr sources (list/info/new/delete, SystemSource, user sources reaching depsolve and composes), blueprint history
 * (changes, change, undo, delete, workspace, diff, tag) and TOML round trips of weldr-client's example blueprints over the socket.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { Depsolver, RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import { composerCli, weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../../shared/reference/blueprints/weldr-client-toml');
const seen: RepositoryConfig[][] = [];
const depsolver: Depsolver = {
  async resolve({ sets }) {
    seen.push(Object.values(sets)[0].repositories);
    // vim-enhanced alone cannot be installed (projects/info still shows it, modules/info cannot).
    if (Object.values(sets)[0].include.join() === 'vim-enhanced') throw new Error('nothing provides vim-common');
    const license = (name: string) => (name === 'tmux' ? 'ISC AND BSD-2-Clause' : 'GPL-3.0-or-later');
    const nevra = (name: string) => ({ name, epoch: 0, version: '1.0', release: '1.el9', arch: 'x86_64', checksum: 'sha256:11', remoteLocation: `http://127.0.0.1:9/${name}.rpm`, repoId: 'baseos', license: license(name) });
    return Object.fromEntries(Object.entries(sets).map(([k, set]) => [k, set.include.filter((n) => !n.startsWith('@')).map(nevra)]));
  },
  async searchPackages({ search }) {
    const all = ['bash', 'tmux', 'vim-enhanced'].map((name) => ({ name, epoch: 0, version: '1.0', release: '1.el9', arch: 'x86_64', summary: `The ${name} package`, repoId: 'baseos' }));
    const match = search === '*' ? all : all.filter((p) => p.name.includes(search));
    return { total: match.length, packages: match };
  },
};

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack('weldr-sources', 'centos-9', { depsolver }));
}, 60_000);
afterAll(() => stack?.stop());

const SOURCE = `id = "local-mirror"
name = "A local mirror"
type = "yum-baseurl"
url = "file:///srv/mirror/"
check_gpg = false
check_ssl = false
`;

describe('Weldr sources', () => {
  it('adds, lists, shows and deletes a user source; system sources cannot be changed', async () => {
    const system = (await cli.get('/projects/source/list')).json<{ sources: string[] }>().sources;
    expect(system.length).toBeGreaterThan(0);
    expect((await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/projects/source/new', SOURCE, 'text/x-toml')).json()).toEqual({ status: true });
    expect((await cli.get('/projects/source/list')).json()).toEqual({ sources: ['local-mirror', ...system] });
    const info = (await cli.get('/projects/source/info/local-mirror,nope')).json();
    expect(info).toEqual({
      sources: {
        'local-mirror': { id: 'local-mirror', name: 'A local mirror', type: 'yum-baseurl', url: 'file:///srv/mirror/', check_gpg: false, check_ssl: false, system: false, rhsm: false, check_repogpg: false },
      },
      errors: [{ id: 'UnknownSource', msg: 'nope is not a valid source' }],
    });
    const sys = (await cli.get(`/projects/source/info/${system[0]}`)).json<{ sources: Record<string, { system: boolean }> }>();
    expect(sys.sources[system[0]].system).toBe(true);
    const overwrite = await cli.postJson('/projects/source/new', { id: system[0], name: 'x', type: 'yum-baseurl', url: 'http://127.0.0.1:9/' });
    expect(overwrite.json()).toEqual({ status: false, errors: [{ id: 'SystemSource', msg: `${system[0]} is a system source, it cannot be changed.` }] });
    expect((await cli.delete(`/projects/source/delete/${system[0]}`)).json()).toEqual({ status: false, errors: [{ id: 'SystemSource', msg: `${system[0]} is a system source, it cannot be deleted.` }] });
    expect((await cli.postJson('/projects/source/new', { id: 'x', name: 'x', type: 'yum-baseurl' })).json()).toEqual({
      status: false,
      errors: [{ id: 'ProjectsError', msg: "Problem parsing POST body: 'url' field is missing from request" }],
    });

    // The user source reaches the depsolver with the distribution's own repositories.
    await cli.pushToml('name = "with-source"\n\n[[packages]]\nname = "tmux"\n');
    seen.length = 0;
    expect((await cli.get('/blueprints/depsolve/with-source')).json<{ errors: unknown[] }>().errors).toEqual([]);
    expect(seen[0].map((r) => r.id)).toEqual([...system, 'local-mirror']);
    expect(seen[0].at(-1)).toMatchObject({ baseurl: ['file:///srv/mirror/'], checkGpg: false, sslverify: false });

    expect((await cli.delete('/projects/source/delete/local-mirror')).json()).toEqual({ status: true });
    expect((await cli.delete('/projects/source/delete/local-mirror')).json()).toEqual({ status: false, errors: [{ id: 'UnknownSource', msg: 'local-mirror is not a valid source.' }] });
    expect((await cli.get('/projects/source/list')).json()).toEqual({ sources: system });
  });
});

describe('Weldr v0 sources', () => {
  const v0 = (method: string, path: string, body?: string, type?: string) => weldrCall(stack.weldr!.socketPath, method, `/api/v0${path}`, body, type);

  it("keys sources by name as composer's v0 does (list, info, new without id, delete by name); v1 still by id", async () => {
    const system = (await v0('GET', '/projects/source/list')).json<{ sources: string[] }>().sources;
    const toml = '[any-key]\nname = "v0-mirror"\ntype = "yum-baseurl"\nurl = "file:///srv/v0/"\ncheck_gpg = true\ncheck_ssl = false\nproxy = "http://127.0.0.1:3128"\n';
    expect((await v0('POST', '/projects/source/new', toml, 'text/x-toml')).json()).toEqual({ status: true });
    await cli.postJson('/projects/source/new', { id: 'v1-id', name: 'v1 name', type: 'yum-baseurl', url: 'file:///srv/v1/' });
    expect((await v0('GET', '/projects/source/list')).json()).toEqual({ sources: ['v0-mirror', 'v1 name', ...system] });
    expect((await cli.get('/projects/source/list')).json()).toEqual({ sources: ['v0-mirror', 'v1-id', ...system] });
    expect((await v0('GET', '/projects/source/info/v0-mirror,v1-id,nope')).json()).toEqual({
      sources: {
        'v0-mirror': { name: 'v0-mirror', type: 'yum-baseurl', url: 'file:///srv/v0/', check_gpg: true, check_ssl: false, system: false },
        'v1 name': { name: 'v1 name', type: 'yum-baseurl', url: 'file:///srv/v1/', check_gpg: false, check_ssl: false, system: false },
      },
      errors: [{ id: 'UnknownSource', msg: 'nope is not a valid source' }],
    });
    // v1 shows composer's NewSourceConfigV1: rhsm and check_repogpg always, the proxy never.
    expect((await cli.get('/projects/source/info/v0-mirror')).json<{ sources: Record<string, unknown> }>().sources['v0-mirror']).toEqual({
      id: 'v0-mirror',
      name: 'v0-mirror',
      type: 'yum-baseurl',
      url: 'file:///srv/v0/',
      check_gpg: true,
      check_ssl: false,
      system: false,
      rhsm: false,
      check_repogpg: false,
    });

    // Refusals store nothing: a body without a name, malformed TOML and JSON, a system source's name.
    const before = (await v0('GET', '/projects/source/list')).json();
    expect((await v0('POST', '/projects/source/new', JSON.stringify({ id: 'x', type: 'yum-baseurl', url: 'file:///x/' }), 'application/json')).json()).toEqual({
      status: false,
      errors: [{ id: 'ProjectsError', msg: "Problem parsing POST body: 'name' field is missing from request" }],
    });
    for (const [body, type] of [['name = "x', 'text/x-toml'], ['{"name": "x",', 'application/json']]) {
      const bad = await v0('POST', '/projects/source/new', body, type);
      expect({ status: bad.status, id: bad.json<{ errors: { id: string }[] }>().errors[0].id }).toEqual({ status: 400, id: 'ProjectsError' });
    }
    const sys = await v0('POST', '/projects/source/new', JSON.stringify({ name: system[0], type: 'yum-baseurl', url: 'file:///x/' }), 'application/json');
    expect(sys.json()).toEqual({ status: false, errors: [{ id: 'SystemSource', msg: `${system[0]} is a system source, it cannot be changed.` }] });
    expect((await v0('GET', '/projects/source/list')).json()).toEqual(before);

    expect((await v0('DELETE', '/projects/source/delete/v0-mirror')).json()).toEqual({ status: true });
    expect((await cli.delete('/projects/source/delete/v1-id')).json()).toEqual({ status: true });
    expect((await v0('GET', '/projects/source/list')).json()).toEqual({ sources: system });
  });
});

describe('Weldr projects and modules', () => {
  it('lists, shows and depsolves packages of the default distribution, paging with a right total', async () => {
    const all = (await cli.getAll('/projects/list')).json<{ total: number; projects: { name: string; builds: { release: string; epoch: number }[] }[] }>();
    expect(all.total).toBe(3);
    expect(all.projects.map((p) => p.name)).toEqual(['bash', 'tmux', 'vim-enhanced']);
    expect(all.projects[0].builds[0]).toMatchObject({ arch: 'x86_64', epoch: 0, release: '1.el9', source: { version: '1.0' } });
    expect((await cli.get('/projects/list?limit=0')).json()).toEqual({ total: 3, offset: 0, limit: 0, projects: [] });
    expect((await cli.get('/projects/info/tmux')).json<{ projects: { name: string; summary: string }[] }>().projects).toEqual([
      expect.objectContaining({ name: 'tmux', summary: 'The tmux package' }),
    ]);
    // The licence is the repository index's rpm:license of the package (from a depsolve); '' when it cannot be installed.
    const licenses = (await cli.get('/projects/info/tmux,vim-enhanced')).json<{ projects: { name: string; builds: { source: { license: string } }[] }[] }>();
    expect(licenses.projects.map((p) => [p.name, p.builds[0].source.license])).toEqual([
      ['tmux', 'ISC AND BSD-2-Clause'],
      ['vim-enhanced', ''],
    ]);
    expect((await cli.get('/modules/info/vim-enhanced')).json()).toEqual({
      status: false,
      errors: [{ id: 'ModulesError', msg: 'Cannot depsolve package vim-enhanced: nothing provides vim-common' }],
    });
    expect((await cli.get('/projects/info/nothing')).json()).toEqual({ status: false, errors: [{ id: 'UnknownProject', msg: 'No packages have been found.' }] });
    expect((await cli.get('/projects/info/')).json()).toEqual({ status: false, errors: [{ id: 'UnknownProject', msg: 'No packages specified.' }] });
    expect((await cli.get('/modules/list')).json()).toEqual({
      total: 3,
      offset: 0,
      limit: 20,
      modules: [
        { name: 'bash', group_type: 'rpm' },
        { name: 'tmux', group_type: 'rpm' },
        { name: 'vim-enhanced', group_type: 'rpm' },
      ],
    });
    const module = (await cli.get('/modules/info/tmux')).json<{ modules: { name: string; dependencies: unknown[] }[] }>().modules[0];
    expect(module.dependencies).toEqual([{ name: 'tmux', epoch: 0, version: '1.0', release: '1.el9', arch: 'x86_64', remote_location: 'http://127.0.0.1:9/tmux.rpm', checksum: 'sha256:11' }]);
    expect((await cli.get('/projects/depsolve/tmux,bash')).json<{ projects: { name: string }[] }>().projects.map((p) => p.name)).toEqual(['tmux', 'bash']);
    expect((await cli.get('/projects/list?distro=nope')).json()).toEqual({ status: false, errors: [{ id: 'DistroError', msg: 'Invalid distro: nope' }] });
    expect((await cli.get('/distros/list')).json<{ distros: string[] }>().distros).toEqual(expect.arrayContaining(['centos-9', 'test-distro-1']));
    expect((await cli.get('/compose/types?distro=centos-9')).json<{ types: { name: string }[] }>().types.map((t) => t.name)).toEqual(
      expect.arrayContaining(['qcow2', 'ami', 'vhd', 'vmdk', 'ova', 'gce', 'tar']),
    );
  });
});

describe('Weldr blueprint history', () => {
  it('lists changes newest first, shows one change, undoes to it and deletes the blueprint', async () => {
    await cli.pushToml('name = "hist"\nversion = "1.0.0"\n\n[[packages]]\nname = "tmux"\n');
    await cli.pushToml('name = "hist"\nversion = "1.0.0"\n\n[[packages]]\nname = "vim"\n');
    const { blueprints } = (await cli.get('/blueprints/changes/hist')).json<{ blueprints: { changes: { commit: string; message: string; revision: null; timestamp: string }[]; total: number }[] }>();
    expect(blueprints[0].changes.map((c) => c.message)).toEqual(['Recipe hist, version 1.0.0 saved.', 'Recipe hist, version 1.0.0 saved.']);
    expect(blueprints[0].changes[0]).toMatchObject({ revision: null, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const first = blueprints[0].changes[1].commit;
    expect((await cli.get(`/blueprints/change/hist/${first}`)).json()).toMatchObject({ name: 'hist', version: '1.0.0', packages: [{ name: 'tmux' }] });
    expect((await weldrCall(stack.weldr!.socketPath, 'GET', `/api/v0/blueprints/change/hist/${first}`)).status).toBe(404);
    expect((await cli.postJson(`/blueprints/undo/hist/${first}`, '')).json()).toEqual({ status: true });
    expect((await cli.get('/blueprints/info/hist')).json<{ blueprints: unknown[] }>().blueprints[0]).toMatchObject({ version: '1.0.0', packages: [{ name: 'tmux' }] });
    expect((await cli.postJson('/blueprints/undo/hist/0000000000000000000000000000000000000000', '')).json()).toEqual({
      status: false,
      errors: [{ id: 'UnknownCommit', msg: 'Unknown commit' }],
    });
    expect((await cli.delete('/blueprints/delete/hist')).json()).toEqual({ status: true });
    expect((await cli.get('/blueprints/info/hist')).json<{ errors: unknown[] }>().errors).toEqual([{ id: 'UnknownBlueprint', msg: 'hist: ' }]);
  });
});

describe('Weldr workspace, diff and tag', () => {
  it('keeps a workspace copy until the next push, diffs NEWEST to WORKSPACE and tags revisions', async () => {
    await cli.pushToml('name = "ws"\nversion = "0.1.0"\n\n[[packages]]\nname = "tmux"\nversion = "3.*"\n\n[[packages]]\nname = "vim"\n');
    const workspace = 'name = "ws"\nversion = "0.1.0"\n\n[[packages]]\nname = "tmux"\nversion = "3.4"\n\n[[packages]]\nname = "git"\n';
    expect((await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/blueprints/workspace', workspace, 'text/x-toml')).json()).toEqual({ status: true });
    const info = (await cli.get('/blueprints/info/ws')).json<{ blueprints: { packages: { name: string }[] }[]; changes: unknown[] }>();
    expect(info.changes).toEqual([{ changed: true, name: 'ws' }]);
    expect(info.blueprints[0].packages.map((p) => p.name)).toEqual(['tmux', 'git']);
    // Not a commit: the history and the hosted store still have one version.
    expect((await cli.get('/blueprints/changes/ws')).json<{ blueprints: { total: number }[] }>().blueprints[0].total).toBe(1);

    const diff = (await cli.get('/blueprints/diff/ws/NEWEST/WORKSPACE')).json<{ diff: unknown[] }>().diff;
    expect(diff).toEqual([
      { new: { Package: { name: 'tmux', version: '3.4' } }, old: { Package: { name: 'tmux', version: '3.*' } } },
      { new: { Package: { name: 'git' } }, old: null },
      { new: null, old: { Package: { name: 'vim' } } },
    ]);
    expect((await cli.get('/blueprints/diff/ws/abc/WORKSPACE')).json()).toEqual({ status: false, errors: [{ id: 'UnknownCommit', msg: "ggit-error: revspec 'abc' not found (-3)" }] });
    const unknown = await cli.get('/blueprints/diff/nope/NEWEST/WORKSPACE');
    expect({ status: unknown.status, body: unknown.json() }).toEqual({ status: 404, body: { status: false, errors: [{ id: 'UnknownBlueprint', msg: 'Unknown blueprint name: nope' }] } });

    expect((await cli.delete('/blueprints/workspace/ws')).json()).toEqual({ status: true });
    expect((await cli.get('/blueprints/info/ws')).json<{ changes: unknown[] }>().changes).toEqual([{ changed: false, name: 'ws' }]);
    expect((await cli.delete('/blueprints/workspace/ws')).json()).toEqual({ status: false, errors: [{ id: 'BlueprintsError', msg: 'Unknown blueprint: ws' }] });

    // A push removes the workspace copy.
    await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/blueprints/workspace', workspace, 'text/x-toml');
    await cli.pushToml(workspace);
    expect((await cli.get('/blueprints/info/ws')).json<{ changes: unknown[] }>().changes).toEqual([{ changed: false, name: 'ws' }]);

    expect((await cli.postJson('/blueprints/tag/ws', '')).json()).toEqual({ status: true });
    await cli.pushToml(workspace);
    await cli.postJson('/blueprints/tag/ws', '');
    const revisions = (await cli.get('/blueprints/changes/ws')).json<{ blueprints: { changes: { revision: number | null }[] }[] }>().blueprints[0].changes.map((c) => c.revision);
    expect(revisions).toEqual([2, 1, null]);
    expect((await cli.postJson('/blueprints/tag/nope', '')).json()).toEqual({ status: false, errors: [{ id: 'BlueprintsError', msg: 'Unknown blueprint' }] });
  });
});

describe.skipIf(!existsSync(EXAMPLES))('TOML round trips of weldr-client examples (needs ../shared/reference/blueprints)', () => {
  it('gives back every example blueprint as pushed (passwords as crypt hashes, version 0.0.0 when absent, as composer)', async () => {
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.toml'))) {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      const pushed = await cli.pushToml(text);
      expect(pushed.json(), file).toEqual({ status: true });
      const sent = parseToml(text) as Record<string, unknown>;
      const back = parseToml((await cli.get(`/blueprints/info/${String(sent.name)}?format=toml`)).text()) as Record<string, unknown>;
      const users = (back.customizations as { user?: { name: string; password?: string }[] } | undefined)?.user ?? [];
      for (const u of users) if (u.password !== undefined) expect(u.password, `${file} ${u.name}`).toMatch(/^\$6\$/);
      const withoutPasswords = (bp: Record<string, unknown>) => JSON.parse(JSON.stringify(bp, (k, v) => (k === 'password' ? undefined : v)));
      expect(withoutPasswords(back), file).toEqual(withoutPasswords({ packages: [], modules: [], enabled_modules: [], groups: [], ...sent, version: sent.version ?? '0.0.0' }));
    }
  });
});
