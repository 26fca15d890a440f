/**
 * composer-cli's documented workflow with the real binary (weldr-client; build it offline with
 * scripts/build-composer-cli.sh) against the Weldr socket of a local stack: blueprints, sources, projects, modules,
 * compose start to image download, `--json`. The stack builds from a file:// mirror (IBS_REPOSITORIES_DIR) with the
 * osbuild test double, so nothing leaves the machine. Without a binary (IBS_COMPOSER_CLI or `composer-cli` on PATH)
 * every test is skipped, named so.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { type GenGroup, type GenPackage, writeRepo } from '../depsolve/repo-generator.ts';
import { writeRpms } from '../support/image-mirror.ts';
// Imported once IBS_REPOSITORIES_DIR is set: the distributions read it when their module loads (helpers load them).
type Helpers = typeof import('../runner/helpers.ts');
let helpers: Helpers;
const tarMembers: Helpers['tarMembers'] = (data) => helpers.tarMembers(data);
const waitFor: Helpers['waitFor'] = (...args) => helpers.waitFor(...args);

/** The composer-cli to run: IBS_COMPOSER_CLI, else the first `composer-cli` on PATH. */
function findComposerCli(): string | undefined {
  const candidates = [process.env.IBS_COMPOSER_CLI, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'composer-cli'))];
  return candidates.find((file) => {
    if (!file) return false;
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const BIN = findComposerCli();
const work = BIN ? mkdtempSync(join(tmpdir(), 'ibs-composer-cli-')) : '';
const mirrorDir = join(work, 'mirror');
const overridesDir = join(work, 'repositories');
let stack: LocalStack;
let socket: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `composer-cli --socket <ours> ARGS...` in `cwd` (where it saves files). */
function cli(args: string[], cwd = work): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN!, ['--socket', socket, ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Like cli(), expecting success. */
async function ok(...args: string[]): Promise<string> {
  const run = await cli(args);
  expect(run, `composer-cli ${args.join(' ')}`).toMatchObject({ code: 0, stderr: '' });
  return run.stdout;
}

/** A file:// mirror with every package fedora-44's qcow2 asks for, tmux, and bash (requiring filesystem). */
async function writeMirror(): Promise<void> {
  const { findArchitecture, findDistribution, findImageType } = await import('../../layers/src/distro/registry.ts');
  const { emptyBlueprint } = await import('../../layers/src/blueprint/blueprint.ts');
  const distro = findDistribution('fedora-44');
  const type = findImageType(distro, findArchitecture(distro, 'x86_64'), 'guest-image');
  const sets = type.packageSets(type.prepare({ distribution: distro.name, architecture: 'x86_64', imageType: type.name, size: 0, blueprint: emptyBlueprint(), seed: 's' }));
  const names = new Set<string>(['tmux', 'bash', 'filesystem']);
  const groups = new Map<string, GenGroup>();
  for (const spec of Object.values(sets).flatMap((s) => s.include)) {
    const member = `${spec.slice(1).replace(/\s+/g, '-')}-member`;
    if (spec.startsWith('@')) groups.set(spec.slice(1), { id: spec.slice(1), packages: [{ name: member, type: 'mandatory' }] });
    if (spec.startsWith('@')) names.add(member);
    else if (!/[*?[\]/]/.test(spec)) names.add(spec);
  }
  const packages: GenPackage[] = [...names].sort().map((name) => ({
    name,
    version: '1.0',
    release: '1.fc44',
    arch: 'x86_64',
    summary: `${name} (mirror)`,
    license: 'MIT',
    ...(name === 'bash' ? { requires: ['filesystem'] } : {}),
  }));
  writeRepo(mirrorDir, { packages, groups: [...groups.values()] });
  writeRpms(mirrorDir, packages);
}

const savedDir = process.env.IBS_REPOSITORIES_DIR;
beforeAll(async () => {
  if (!BIN) return;
  // composer's format: the mirror replaces fedora-44's system repositories (x86_64 only here)
  mkdirSync(overridesDir, { recursive: true });
  writeFileSync(join(overridesDir, 'fedora-44.json'), JSON.stringify({ x86_64: [{ name: 'local-mirror', baseurl: `${pathToFileURL(mirrorDir).href}/`, check_gpg: false }] }));
  process.env.IBS_REPOSITORIES_DIR = overridesDir;
  await writeMirror();
  helpers = await import('../runner/helpers.ts');
  const { startWeldrStack } = await import('./weldr-stack.ts');
  ({ stack } = await startWeldrStack('composer-cli', 'fedora-44', { dataDir: join(work, 'data'), runners: 1, runnerEnv: { ...helpers.FAST_ENV, IBS_OSBUILD: helpers.DOUBLE } }));
  socket = stack.weldr!.socketPath;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (savedDir === undefined) delete process.env.IBS_REPOSITORIES_DIR;
  else process.env.IBS_REPOSITORIES_DIR = savedDir;
});

const BLUEPRINT = `name = "cli-tmux"
description = "pushed with composer-cli"
version = "0.1.0"

[[packages]]
name = "tmux"
version = "*"

[customizations]
hostname = "cli-host"
`;

/** `blueprints show` prints composer's TOML (BurntSushi/toml of its blueprint struct). */
const shown = (version: string, pkg = 'tmux') => `name = "cli-tmux"
description = "pushed with composer-cli"
version = "${version}"
modules = []
enabled_modules = []
groups = []

[[packages]]
name = "${pkg}"
version = "*"

[customizations]
hostname = "cli-host"

`;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe.skipIf(!BIN)(`composer-cli (the real weldr-client binary: ${BIN ?? 'not found; set IBS_COMPOSER_CLI or put composer-cli on PATH'}) on the Weldr socket`, () => {
  it('status show, distros list, compose types', async () => {
    expect(await ok('version')).toMatch(/^composer-cli v\d+/);
    const status = await ok('status', 'show');
    expect(status).toContain('API version:        1');
    expect(status).toContain('Backend:            osbuild-composer');
    expect((await ok('distros', 'list')).split('\n')).toEqual(expect.arrayContaining(['fedora-44', 'test-distro-1']));
    expect((await ok('compose', 'types')).split('\n')).toEqual(expect.arrayContaining(['qcow2', 'ami', 'vmdk', 'server-qcow2', 'generic-qcow2']));
    expect((await ok('compose', 'types', '--distro', 'test-distro-1')).split('\n')).toContain('tar');
    expect(await cli(['compose', 'types', '--distro', 'no-such-distro'])).toMatchObject({ code: 1, stderr: 'ERROR: DistroError: Invalid distro: no-such-distro\n' });
  });

  it('blueprints push, list, show, changes, tag, undo, workspace, diff, depsolve, freeze, save, delete', { timeout: 60_000 }, async () => {
    writeFileSync(join(work, 'cli-tmux.toml'), BLUEPRINT);
    expect(await ok('blueprints', 'push', 'cli-tmux.toml')).toBe('');
    expect(await ok('blueprints', 'list')).toBe('cli-tmux\n');
    expect(await ok('blueprints', 'show', 'cli-tmux')).toBe(shown('0.1.0'));
    // the same version again: lorax's patch bump
    await ok('blueprints', 'push', 'cli-tmux.toml');
    expect(await ok('blueprints', 'show', 'cli-tmux')).toBe(shown('0.1.1'));
    await ok('blueprints', 'tag', 'cli-tmux');
    const changes = await ok('blueprints', 'changes', 'cli-tmux');
    const commits = [...changes.matchAll(/\s([0-9a-f]{40})/g)].map((m) => m[1]);
    expect(commits).toHaveLength(2);
    // composer's message names the version as pushed, before the bump
    expect(changes).toMatch(new RegExp(`${commits[0]} revision 1\\n\\s+Recipe cli-tmux, version 0.1.0 saved.`));
    await ok('blueprints', 'undo', 'cli-tmux', commits[1]);
    expect(await ok('blueprints', 'changes', 'cli-tmux')).toContain(`cli-tmux.toml reverted to commit ${commits[1]}`);
    expect(await ok('blueprints', 'show', 'cli-tmux')).toBe(shown('0.1.0'));

    writeFileSync(join(work, 'workspace.toml'), BLUEPRINT.replace('name = "tmux"', 'name = "bash"'));
    await ok('blueprints', 'workspace', 'workspace.toml');
    expect(await ok('blueprints', 'show', 'cli-tmux')).toBe(shown('0.1.0', 'bash'));
    const diff = await ok('blueprints', 'diff', 'cli-tmux', 'NEWEST', 'WORKSPACE');
    expect(diff).toContain('-name = "tmux"\n+name = "bash"');
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-name = "tmux"', '+name = "bash"']);
    // depsolve and freeze use the workspace copy, as composer's
    expect(await ok('blueprints', 'depsolve', 'cli-tmux')).toBe('blueprint: cli-tmux v0.1.0\n    bash-1.0-1.fc44.x86_64\n    filesystem-1.0-1.fc44.x86_64\n');
    expect(await ok('blueprints', 'freeze', 'cli-tmux')).toBe('blueprint: cli-tmux v0.1.0\n    bash-1.0-1.fc44.x86_64\n');
    expect(await ok('blueprints', 'freeze', 'show', 'cli-tmux')).toContain('[[packages]]\nname = "bash"\nversion = "1.0-1.fc44.x86_64"\n');
    await ok('blueprints', 'freeze', 'save', 'cli-tmux');
    expect(readFileSync(join(work, 'cli-tmux.frozen.toml'), 'utf8')).toContain('version = "1.0-1.fc44.x86_64"');
    await ok('blueprints', 'save', 'cli-tmux');
    expect(readFileSync(join(work, 'cli-tmux.toml'), 'utf8')).toBe(shown('0.1.0', 'bash').slice(0, -1));
    // a push commits and drops the workspace copy
    writeFileSync(join(work, 'cli-tmux.toml'), BLUEPRINT);
    await ok('blueprints', 'push', 'cli-tmux.toml');
    expect(await ok('blueprints', 'show', 'cli-tmux')).toBe(shown('0.1.1'));

    writeFileSync(join(work, 'doomed.toml'), 'name = "doomed"\n');
    await ok('blueprints', 'push', 'doomed.toml');
    await ok('blueprints', 'delete', 'doomed');
    expect(await ok('blueprints', 'list')).toBe('cli-tmux\n');
    expect(await cli(['blueprints', 'show', 'doomed'])).toMatchObject({ code: 1, stderr: 'ERROR: UnknownBlueprint: doomed: \n' });
    expect(await cli(['blueprints', 'push', 'no-such-file.toml'])).toMatchObject({ code: 1 });
  });

  it('--json prints the raw requests and composer\'s responses', async () => {
    const run = JSON.parse(await ok('--json', 'blueprints', 'list')) as { method: string; path: string; status: number; body: unknown }[];
    expect(run).toEqual([
      { method: 'GET', path: '/blueprints/list?limit=0', status: 200, body: { total: 1, offset: 0, limit: 0, blueprints: [] } },
      { method: 'GET', path: '/blueprints/list?limit=1', status: 200, body: { total: 1, offset: 0, limit: 1, blueprints: ['cli-tmux'] } },
    ]);
    const info = JSON.parse(await ok('--json', 'blueprints', 'show', 'cli-tmux')) as { body: { blueprints: Record<string, unknown>[] } }[];
    expect(info[0].body.blueprints[0]).toEqual({
      name: 'cli-tmux',
      description: 'pushed with composer-cli',
      version: '0.1.1',
      packages: [{ name: 'tmux', version: '*' }],
      modules: [],
      enabled_modules: [],
      groups: [],
      customizations: { hostname: 'cli-host' },
    });
  });

  it('sources add, list, info, change, delete; system sources cannot be changed', async () => {
    const source = (name: string) => `id = "cli-extra"\nname = "${name}"\ntype = "yum-baseurl"\nurl = "${pathToFileURL(mirrorDir).href}/"\ncheck_gpg = false\ncheck_ssl = false\n`;
    writeFileSync(join(work, 'source.toml'), source('Extra'));
    await ok('sources', 'add', 'source.toml');
    expect((await ok('sources', 'list')).split('\n').filter(Boolean).sort()).toEqual(['cli-extra', 'local-mirror']);
    expect(await ok('sources', 'info', 'cli-extra')).toContain('id = "cli-extra"\nname = "Extra"\n');
    writeFileSync(join(work, 'source.toml'), source('Extra, renamed'));
    await ok('sources', 'change', 'source.toml');
    expect(await ok('sources', 'info', 'cli-extra')).toContain('name = "Extra, renamed"');
    expect(await ok('sources', 'info', 'local-mirror')).toContain('system = true');
    await ok('sources', 'delete', 'cli-extra');
    expect(await ok('sources', 'list')).toBe('local-mirror\n');
    expect(await cli(['sources', 'delete', 'local-mirror'])).toMatchObject({ code: 1, stderr: 'ERROR: SystemSource: local-mirror is a system source, it cannot be deleted.\n' });
    expect(await cli(['sources', 'info', 'nope'])).toMatchObject({ code: 1, stderr: 'ERROR: UnknownSource: nope is not a valid source\n' });
  });

  it('projects list, projects info, modules list', async () => {
    expect(await ok('projects', 'list')).toContain('Name: tmux\nSummary: tmux (mirror)\n');
    expect(await ok('projects', 'info', 'bash')).toMatch(/^Name: bash\nSummary: bash \(mirror\)\n[\s\S]*1\.0-1\.fc44\.x86_64/);
    expect((await ok('modules', 'list')).split('\n')).toEqual(expect.arrayContaining(['bash', 'filesystem', 'tmux']));
    expect(await cli(['projects', 'info', 'no-such-package'])).toMatchObject({ code: 1, stderr: expect.stringContaining('UnknownProject') });
  });

  it('compose start, status, list, info, log, logs, metadata, results, image, delete; cancel', { timeout: 120_000 }, async () => {
    const started = await ok('compose', 'start', 'cli-tmux', 'qcow2');
    const id = UUID.exec(started)![0];
    expect(started).toBe(`Compose ${id} added to the queue\n`);
    const info = await waitFor('FINISHED', async () => {
      const out = await ok('compose', 'info', id);
      return out.startsWith(`${id} FINISHED`) ? out : out.startsWith(`${id} FAILED`) ? expect.fail(out) : undefined;
    }, 90_000, 300);
    expect(info).toMatch(new RegExp(`^${id} FINISHED cli-tmux\\s+0\\.1\\.1 qcow2\\s+\\d+\\nPackages:\\n    tmux-\\*\\n`));
    expect(info).toContain('    tmux-1.0-1.fc44.x86_64\n');
    expect(await ok('compose', 'list')).toMatch(new RegExp(`${id}\\s+FINISHED\\s+cli-tmux\\s+0\\.1\\.1\\s+qcow2`));
    expect(await ok('compose', 'status')).toMatch(new RegExp(`${id}\\s+FINISHED\\s+.*cli-tmux\\s+0\\.1\\.1\\s+qcow2`));
    expect(await ok('compose', 'log', id)).toContain('Downloaded file://');

    const downloads = join(work, 'downloads');
    mkdirSync(downloads);
    for (const what of ['logs', 'metadata', 'results', 'image']) expect(await cli(['compose', what, id], downloads)).toMatchObject({ code: 0 });
    expect(readdirSync(downloads).sort()).toEqual([`${id}-disk.qcow2`, `${id}-logs.tar`, `${id}-metadata.tar`, `${id}.tar`]);
    expect(tarMembers(readFileSync(join(downloads, `${id}-logs.tar`)))).toEqual(['logs/osbuild.log']);
    expect(tarMembers(readFileSync(join(downloads, `${id}-metadata.tar`)))).toEqual([`${id}.json`]);
    expect(tarMembers(readFileSync(join(downloads, `${id}.tar`)))).toEqual([`${id}.json`, 'logs/osbuild.log', `${id}-disk.qcow2`]);
    expect(readFileSync(join(downloads, `${id}-disk.qcow2`)).length).toBeGreaterThan(0);

    // the test distribution: a blueprint naming it builds its `tar`
    writeFileSync(join(work, 'test-distro.toml'), 'name = "cli-test-distro"\ndistro = "test-distro-1"\n');
    await ok('blueprints', 'push', 'test-distro.toml');
    const tarId = UUID.exec(await ok('compose', 'start', 'cli-test-distro', 'tar'))![0];
    await waitFor('tar FINISHED', async () => (await ok('compose', 'info', tarId)).startsWith(`${tarId} FINISHED`), 90_000, 300);

    await ok('compose', 'delete', id, tarId);
    expect(await ok('compose', 'list')).not.toContain(id);
    expect(await cli(['compose', 'info', id])).toMatchObject({ code: 1, stderr: `ERROR: UnknownUUID: ${id} is not a valid build uuid\n` });

    // cancel: a compose not finished yet; a finished one cannot be cancelled
    const cancelId = UUID.exec(await ok('compose', 'start', 'cli-tmux', 'qcow2'))![0];
    const cancel = await cli(['compose', 'cancel', cancelId]);
    if (cancel.code === 0) expect(await ok('compose', 'list', 'failed')).toContain(cancelId);
    else expect(cancel.stderr).toBe(`ERROR: BuildInWrongState: Build ${cancelId} is not in WAITING or RUNNING.\n`);
    await waitFor('cancelled or finished', async () => / (FAILED|FINISHED) /.test(await ok('compose', 'info', cancelId)), 90_000, 300);
    expect(await cli(['compose', 'cancel', cancelId])).toMatchObject({ code: 1, stderr: `ERROR: BuildInWrongState: Build ${cancelId} is not in WAITING or RUNNING.\n` });
    await ok('compose', 'delete', cancelId);
  });
});
