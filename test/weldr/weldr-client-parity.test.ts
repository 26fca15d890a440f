/**
 * Differences from osbuild-composer found by running the real composer-cli (weldr-client v36.1) and its integration
 * tests against the socket, each pinned here: blueprints as Go encodes composer's Initialize()d struct (field order,
 * `enabled_modules`, omitempty fields absent), store error messages word for word, the undo commit message, the
 * unknown compose type message, the blueprint copy a compose keeps, and composer's JSON Content-Type on TOML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { Depsolver } from '../../layers/src/packages/package-set.ts';
import { composerCli } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

/** A depsolver that knows tmux 3.4 only (as `tmux` or `tmux-3.4`). */
const depsolver: Depsolver = {
  async resolve({ sets }) {
    return Object.fromEntries(
      Object.entries(sets).map(([name, set]) => {
        const missing = set.include.find((n) => n !== 'tmux' && n !== 'tmux-3.4');
        if (missing) throw new Error(`No match for argument: ${missing}`);
        return [name, set.include.map(() => ({ name: 'tmux', epoch: 0, version: '3.4', release: '1.fc44', arch: 'x86_64', checksum: 'sha256:00', remoteLocation: 'http://127.0.0.1:9/tmux.rpm', repoId: 'r' }))];
      }),
    );
  },
  async searchPackages() {
    return { total: 0, packages: [] };
  },
};

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack('weldr-parity', 'fedora-44', { depsolver }));
}, 60_000);
afterAll(() => stack?.stop());

const PLAIN = `name = "plain"
version = "1.0.0"

[[packages]]
name = "tmux"
version = "*"

[customizations]
hostname = "plain-host"
`;

/** What BurntSushi/toml writes for composer's blueprint.Blueprint of PLAIN: plain keys in struct order, then tables. */
const PLAIN_TOML = `name = "plain"
version = "1.0.0"
modules = []
enabled_modules = []
groups = []

[[packages]]
name = "tmux"
version = "*"

[customizations]
hostname = "plain-host"
`;

describe('Weldr answers as composer for composer-cli', () => {
  it('shows a blueprint as composer\'s Initialize()d struct: no empty distro or description, enabled_modules [], struct order', async () => {
    expect((await cli.pushToml(PLAIN)).json()).toEqual({ status: true });
    const info = await cli.get('/blueprints/info/plain');
    const blueprint = info.json<{ blueprints: Record<string, unknown>[] }>().blueprints[0];
    expect(Object.keys(blueprint)).toEqual(['name', 'version', 'packages', 'modules', 'enabled_modules', 'groups', 'customizations']);
    const toml = await cli.get('/blueprints/info/plain?format=toml');
    expect(toml.text()).toBe(PLAIN_TOML);
    expect(toml.headers['content-type']).toBe('application/json; charset=utf-8');
    // The workspace copy is Initialize()d as well (composer's PushBlueprintToWorkspace), in the same order.
    const workspace = await cli.postJson('/blueprints/workspace', { customizations: { hostname: 'plain-host' }, packages: [{ name: 'tmux', version: '*' }], version: '1.0.0', name: 'plain' });
    expect(workspace.json()).toEqual({ status: true });
    expect((await cli.get('/blueprints/info/plain?format=toml')).text()).toBe(PLAIN_TOML);
    const changed = (await cli.get('/blueprints/info/plain')).json<{ blueprints: Record<string, unknown>[]; changes: unknown[] }>();
    expect(Object.keys(changed.blueprints[0])).toEqual(['name', 'version', 'packages', 'modules', 'enabled_modules', 'groups', 'customizations']);
    expect(changed.changes).toEqual([{ changed: true, name: 'plain' }]);
  });

  it('words store errors as composer\'s store does and writes composer\'s undo commit message', async () => {
    expect((await cli.postJson('/blueprints/tag/absent', '')).json()).toEqual({ status: false, errors: [{ id: 'BlueprintsError', msg: 'Unknown blueprint' }] });
    expect((await cli.postJson('/blueprints/undo/absent/0123456789abcdef0123456789abcdef01234567', '')).json()).toEqual({
      status: false,
      errors: [{ id: 'UnknownCommit', msg: 'Unknown blueprint' }],
    });
    expect((await cli.get('/blueprints/change/plain/0123456789abcdef0123456789abcdef01234567')).json()).toEqual({ status: false, errors: [{ id: 'UnknownCommit', msg: 'Unknown commit' }] });
    expect((await cli.pushToml(PLAIN.replace('1.0.0', '1.1.0'))).json()).toEqual({ status: true });
    type Changes = { blueprints: { changes: { commit: string; message: string }[] }[] };
    const first = (await cli.get('/blueprints/changes/plain')).json<Changes>().blueprints[0].changes.at(-1)!;
    expect((await cli.postJson(`/blueprints/undo/plain/${first.commit}`, '')).json()).toEqual({ status: true });
    const messages = (await cli.get('/blueprints/changes/plain')).json<Changes>().blueprints[0].changes.map((c) => c.message);
    expect(messages).toEqual([`plain.toml reverted to commit ${first.commit}`, 'Recipe plain, version 1.1.0 saved.', 'Recipe plain, version 1.0.0 saved.']);
  });

  it('refuses to start a compose whose packages do not depsolve (composer depsolves before it queues: 500 DepsolveError)', async () => {
    expect((await cli.pushToml(PLAIN.replace('plain', 'unsolvable').replace('version = "*"', 'version = "0"'))).json()).toEqual({ status: true });
    for (const test of [0, 2]) {
      const refused = await cli.startCompose('unsolvable', 'qcow2', 0, test);
      expect({ status: refused.status, body: refused.json() }).toEqual({ status: 500, body: { status: false, errors: [{ id: 'DepsolveError', msg: expect.stringContaining('tmux-0') }] } });
    }
    expect((await cli.get('/compose/status/*')).json()).toEqual({ uuids: [] });
  });

  it('checks versions with go-semver as composer\'s Initialize() does, the workspace too', async () => {
    const invalid = (reason: string) => ({ status: false, errors: [{ id: 'BlueprintsError', msg: `Invalid 'version', must use Semantic Versioning: ${reason}` }] });
    expect((await cli.postJson('/blueprints/workspace', { name: 'plain', version: 'bad' })).json()).toEqual(invalid('bad is not in dotted-tri format'));
    expect((await cli.pushToml('name = "semver"\nversion = "1.2.x"\n')).json()).toEqual(invalid('strconv.ParseInt: parsing "x": invalid syntax'));
    expect((await cli.pushToml('name = "semver"\nversion = "1.2.3-b@d"\n')).json()).toEqual(invalid('failed to validate pre-release: b@d is not a valid semver identifier'));
    // leading zeros parse (strconv.ParseInt); the bump writes the numbers back
    expect((await cli.pushToml('name = "semver"\nversion = "1.02.3-rc.1"\n')).json()).toEqual({ status: true });
    expect((await cli.pushToml('name = "semver"\nversion = "1.02.3-rc.1"\n')).json()).toEqual({ status: true });
    expect((await cli.get('/blueprints/info/semver')).json<{ blueprints: { version: string }[] }>().blueprints[0].version).toBe('1.2.4');
  });

  it('names an unknown compose type as composer does', async () => {
    expect((await cli.startCompose('plain', 'punchcard')).json()).toEqual({
      status: false,
      errors: [{ id: 'ComposeError', msg: 'Failed to get compose type "punchcard": invalid image type: punchcard' }],
    });
  });

  it('keeps the blueprint of a compose after the blueprint is deleted (composer stores a copy in the compose)', async () => {
    expect((await cli.pushToml(PLAIN.replace('plain', 'gone'))).json()).toEqual({ status: true });
    const id = (await cli.startCompose('gone', 'qcow2', 0, 2)).json<{ build_id: string }>().build_id;
    expect((await cli.delete('/blueprints/delete/gone')).json()).toEqual({ status: true });
    const entry = (await cli.get(`/compose/status/${id}`)).json<{ uuids: Record<string, unknown>[] }>().uuids[0];
    expect(entry).toMatchObject({ id, blueprint: 'gone', version: '1.0.0', queue_status: 'FINISHED' });
    const info = (await cli.get(`/compose/info/${id}`)).json<{ blueprint: Record<string, unknown> }>();
    expect(info.blueprint).toMatchObject({ name: 'gone', version: '1.0.0', packages: [{ name: 'tmux', version: '*' }] });
    expect((await cli.delete(`/compose/delete/${id}`)).json()).toEqual({ uuids: [{ uuid: id, status: true }], errors: [] });
    expect(await stack.deps.blobs.list(`weldr/weldr-parity/compose-blueprints/`)).toEqual([]);
  });
});
